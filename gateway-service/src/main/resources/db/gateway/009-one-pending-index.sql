--liquibase formatted sql

--changeset aigateway:gateway-9
-- request_history_pending_idx holds exactly the same rows (those still pending, a request's lifetime): a restart
-- finds its own among them by filtering on the instance, and every opening writes one index entry less.
DROP INDEX request_history_pending_instance_idx;
--rollback CREATE INDEX request_history_pending_instance_idx ON request_history (gateway_instance, created_at) WHERE status = 'pending';
