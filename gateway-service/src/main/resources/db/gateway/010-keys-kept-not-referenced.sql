--liquibase formatted sql

--changeset aigateway:gateway-10 splitStatements:false
-- A history row's api_key_id keeps pointing at a key because keys are never deleted (`keys revoke` only marks them),
-- which the trigger below now enforces, instead of the foreign key checking it on every row written. The check
-- cost every opened request a row lock on its key: with one key serving many requests at once, each opening wrote
-- a lock record for the same api_keys row to the WAL and concurrent openings shared that lock through multixacts.
-- Without it the opening statement ran 15 to 22% more times per second on average (pgbench, one to four clients,
-- one row with an unflushed commit and eight rows with a flushed one).
ALTER TABLE request_history DROP CONSTRAINT request_history_api_key_id_fkey;
CREATE FUNCTION refuse_api_key_removal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'API keys are never removed: request_history refers to them; revoke a key instead'
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER api_keys_never_removed BEFORE DELETE OR TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_api_key_removal();
--rollback DROP TRIGGER api_keys_never_removed ON api_keys;
--rollback DROP FUNCTION refuse_api_key_removal();
--rollback ALTER TABLE request_history ADD CONSTRAINT request_history_api_key_id_fkey FOREIGN KEY (api_key_id) REFERENCES api_keys (id);
