--liquibase formatted sql

--changeset aigateway:1
--comment: Every event as received. The unique event_id is what makes a redelivered message count once.
CREATE TABLE analytics_events (
    id                bigserial       PRIMARY KEY,
    event_id          uuid            NOT NULL,
    schema_version    integer         CHECK (schema_version > 0),
    event_type        text            NOT NULL,
    event_name        text            NOT NULL,
    user_id           text            NOT NULL,
    session_id        text,
    service           text,
    provider          text,
    model             text,
    request_type      text,
    status            text,
    prompt_tokens     bigint          CHECK (prompt_tokens >= 0),
    completion_tokens bigint          CHECK (completion_tokens >= 0),
    cached_tokens     bigint          CHECK (cached_tokens >= 0),
    tokens_used       bigint          CHECK (tokens_used >= 0),
    cost              numeric(24, 12) CHECK (cost >= 0),
    response_time_ms  bigint          CHECK (response_time_ms >= 0),
    history_id        uuid,
    properties        jsonb           NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(properties) = 'object'),
    metadata          jsonb           NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    occurred_at       timestamptz     NOT NULL,
    received_at       timestamptz     NOT NULL DEFAULT now(),
    CONSTRAINT analytics_events_event_id_key UNIQUE (event_id)
);
CREATE INDEX analytics_events_user_occurred_idx ON analytics_events (user_id, occurred_at DESC);
-- Readers page through one event type in insertion order.
CREATE INDEX analytics_events_type_id_idx ON analytics_events (event_type, id);
CREATE INDEX analytics_events_occurred_idx ON analytics_events (occurred_at);
--rollback DROP TABLE analytics_events;

--changeset aigateway:2
--comment: Running totals per user. Only exact sums are stored; averages and rates are derived when read.
CREATE TABLE user_analytics (
    user_id                text            PRIMARY KEY,
    total_requests         bigint          NOT NULL DEFAULT 0 CHECK (total_requests >= 0),
    successful_requests    bigint          NOT NULL DEFAULT 0 CHECK (successful_requests >= 0),
    failed_requests        bigint          NOT NULL DEFAULT 0 CHECK (failed_requests >= 0),
    total_tokens           bigint          NOT NULL DEFAULT 0 CHECK (total_tokens >= 0),
    prompt_tokens          bigint          NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
    completion_tokens      bigint          NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
    cached_tokens          bigint          NOT NULL DEFAULT 0 CHECK (cached_tokens >= 0),
    total_cost             numeric(24, 12) NOT NULL DEFAULT 0 CHECK (total_cost >= 0),
    total_response_time_ms bigint          NOT NULL DEFAULT 0 CHECK (total_response_time_ms >= 0),
    first_activity_at      timestamptz,
    last_activity_at       timestamptz,
    updated_at             timestamptz     NOT NULL DEFAULT now(),
    CONSTRAINT user_analytics_activity_order CHECK (first_activity_at <= last_activity_at)
);
--rollback DROP TABLE user_analytics;

--changeset aigateway:3
--comment: Per user and day totals, with per-model and per-provider breakdowns.
CREATE TABLE user_usage_history (
    id                  bigserial       PRIMARY KEY,
    user_id             text            NOT NULL,
    usage_date          date            NOT NULL,
    total_requests      bigint          NOT NULL DEFAULT 0 CHECK (total_requests >= 0),
    successful_requests bigint          NOT NULL DEFAULT 0 CHECK (successful_requests >= 0),
    failed_requests     bigint          NOT NULL DEFAULT 0 CHECK (failed_requests >= 0),
    total_tokens        bigint          NOT NULL DEFAULT 0 CHECK (total_tokens >= 0),
    prompt_tokens       bigint          NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
    completion_tokens   bigint          NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
    total_cost          numeric(24, 12) NOT NULL DEFAULT 0 CHECK (total_cost >= 0),
    models              jsonb           NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(models) = 'object'),
    providers           jsonb           NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(providers) = 'object'),
    updated_at          timestamptz     NOT NULL DEFAULT now(),
    CONSTRAINT user_usage_history_user_date_key UNIQUE (user_id, usage_date)
);
CREATE INDEX user_usage_history_usage_date_idx ON user_usage_history (usage_date);
--rollback DROP TABLE user_usage_history;
