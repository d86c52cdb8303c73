--liquibase formatted sql

--changeset aigateway:gateway-8
-- Every outbox row is written once and read once, in (txid, id) order, then deleted by that same position: one
-- index serves all three. The id and event_id indexes cost two more entries per event, event_id's at a random page;
-- an event id is unique by construction (a request's events are queued only by the statement that closes it, once)
-- and analytics skips a repeated one anyway.
ALTER TABLE outbox DROP CONSTRAINT outbox_event_id_key;
ALTER TABLE outbox DROP CONSTRAINT outbox_pkey;
DROP INDEX outbox_unsent_idx;
ALTER TABLE outbox ADD CONSTRAINT outbox_pkey PRIMARY KEY (txid, id);
--rollback ALTER TABLE outbox DROP CONSTRAINT outbox_pkey; ALTER TABLE outbox ADD CONSTRAINT outbox_pkey PRIMARY KEY (id); ALTER TABLE outbox ADD CONSTRAINT outbox_event_id_key UNIQUE (event_id); CREATE INDEX outbox_unsent_idx ON outbox (txid, id);

--changeset aigateway:gateway-9
-- request_history_pending_idx holds exactly the same rows (those still pending, a request's lifetime): a restart
-- finds its own among them by filtering on the instance, and every opening writes one index entry less.
DROP INDEX request_history_pending_instance_idx;
--rollback CREATE INDEX request_history_pending_instance_idx ON request_history (gateway_instance, created_at) WHERE status = 'pending';
