--liquibase formatted sql

--changeset aigateway:gateway-3
-- Serves an admin's history list across all users, newest first, with keyset pagination on (created_at, id).
CREATE INDEX request_history_created_idx ON request_history (created_at DESC, id DESC);
--rollback DROP INDEX request_history_created_idx;
