--liquibase formatted sql

--changeset aigateway:gateway-6
-- The gateway instance that opened the row: on start an instance closes its own leftovers without touching requests
-- that other instances sharing this database are still serving.
ALTER TABLE request_history ADD COLUMN gateway_instance text;
CREATE INDEX request_history_pending_instance_idx ON request_history (gateway_instance, created_at)
    WHERE status = 'pending';
--rollback DROP INDEX request_history_pending_instance_idx; ALTER TABLE request_history DROP COLUMN gateway_instance;
