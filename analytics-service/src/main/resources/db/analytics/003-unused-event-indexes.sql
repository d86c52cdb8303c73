--liquibase formatted sql

--changeset aigateway:7 runInTransaction:false
--comment: No query reads events by time: readers page by id (analytics_events_user_id_idx, analytics_events_type_id_idx) and the totals are rebuilt from a full scan, while every stored event paid an insert into each of these. Dropped concurrently, so the consumer's writes are not blocked meanwhile.
DROP INDEX CONCURRENTLY IF EXISTS analytics_events_user_occurred_idx;
DROP INDEX CONCURRENTLY IF EXISTS analytics_events_occurred_idx;
--rollback CREATE INDEX CONCURRENTLY IF NOT EXISTS analytics_events_occurred_idx ON analytics_events (occurred_at);
--rollback CREATE INDEX CONCURRENTLY IF NOT EXISTS analytics_events_user_occurred_idx ON analytics_events (user_id, occurred_at DESC);
