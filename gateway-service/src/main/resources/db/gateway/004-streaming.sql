--liquibase formatted sql

--changeset aigateway:gateway-4
-- cancelled: the client went away mid-stream; aborted: the gateway itself stopped before the request finished.
ALTER TABLE request_history DROP CONSTRAINT request_history_status_check;
ALTER TABLE request_history ADD CONSTRAINT request_history_status_check
    CHECK (status IN ('pending', 'success', 'error', 'cancelled', 'aborted'));
ALTER TABLE request_history ADD COLUMN time_to_first_token_ms bigint CHECK (time_to_first_token_ms >= 0);
ALTER TABLE request_history ADD COLUMN cache_creation_tokens bigint CHECK (cache_creation_tokens >= 0);
