--liquibase formatted sql

--changeset aigateway:gateway-8
-- The relay reads outbox rows in (txid, id) order and deletes each by that same position once the broker confirmed
-- it: one index serves both. The id and event_id indexes cost two more entries per event, event_id's on a random
-- page. Event ids are random UUIDs from a strong generator; should one ever repeat, analytics skips it by its id
-- where this constraint would have failed the request's closing.
ALTER TABLE outbox DROP CONSTRAINT outbox_event_id_key;
ALTER TABLE outbox DROP CONSTRAINT outbox_pkey;
DROP INDEX outbox_unsent_idx;
ALTER TABLE outbox ADD CONSTRAINT outbox_pkey PRIMARY KEY (txid, id);
--rollback ALTER TABLE outbox DROP CONSTRAINT outbox_pkey; ALTER TABLE outbox ADD CONSTRAINT outbox_pkey PRIMARY KEY (id); ALTER TABLE outbox ADD CONSTRAINT outbox_event_id_key UNIQUE (event_id); CREATE INDEX outbox_unsent_idx ON outbox (txid, id);
