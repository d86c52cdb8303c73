--liquibase formatted sql

--changeset aigateway:gateway-7
-- A row the broker confirmed is deleted instead of marked sent: the mark wrote a new version of the row, payload
-- included, and index entries for it. Every row left is unsent.
DELETE FROM outbox WHERE sent_at IS NOT NULL;
DROP INDEX outbox_sent_idx;
DROP INDEX outbox_unsent_idx;
ALTER TABLE outbox DROP COLUMN sent_at;
CREATE INDEX outbox_unsent_idx ON outbox (txid, id);
--rollback DROP INDEX outbox_unsent_idx; ALTER TABLE outbox ADD COLUMN sent_at timestamptz; CREATE INDEX outbox_unsent_idx ON outbox (txid, id) WHERE sent_at IS NULL; CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;
