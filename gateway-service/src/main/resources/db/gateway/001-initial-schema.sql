--liquibase formatted sql

--changeset aigateway:gateway-1
CREATE TABLE api_keys (
    id            uuid        PRIMARY KEY,
    user_id       text        NOT NULL CHECK (length(user_id) BETWEEN 1 AND 200),
    name          text,
    key_hash      char(64)    NOT NULL UNIQUE,
    key_prefix    text        NOT NULL,
    is_admin      boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id);

CREATE TABLE session_history (
    user_id          text          NOT NULL,
    session_id       text          NOT NULL,
    status           text          NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
    total_requests   bigint        NOT NULL DEFAULT 0 CHECK (total_requests >= 0),
    total_tokens     bigint        NOT NULL DEFAULT 0 CHECK (total_tokens >= 0),
    total_cost       numeric(24,12) NOT NULL DEFAULT 0 CHECK (total_cost >= 0),
    started_at       timestamptz   NOT NULL DEFAULT now(),
    last_request_at  timestamptz,
    ended_at         timestamptz,
    duration_ms      bigint,
    PRIMARY KEY (user_id, session_id)
);
CREATE INDEX session_history_user_started_idx ON session_history (user_id, started_at DESC);
CREATE INDEX session_history_active_idx ON session_history (last_request_at) WHERE status = 'active';

CREATE TABLE request_history (
    id                uuid           PRIMARY KEY,
    user_id           text           NOT NULL,
    api_key_id        uuid           REFERENCES api_keys (id),
    session_id        text,
    provider          text           NOT NULL,
    model             text           NOT NULL,
    upstream_model    text,
    request_type      text           NOT NULL,
    stream            boolean        NOT NULL DEFAULT false,
    status            text           NOT NULL CHECK (status IN ('pending', 'success', 'error')),
    request_data      jsonb,
    response_data     jsonb,
    error_message     text,
    upstream_status   integer,
    http_status       integer,
    prompt_tokens     bigint         CHECK (prompt_tokens >= 0),
    completion_tokens bigint         CHECK (completion_tokens >= 0),
    total_tokens      bigint         CHECK (total_tokens >= 0),
    cached_tokens     bigint         CHECK (cached_tokens >= 0),
    cost              numeric(24,12) CHECK (cost >= 0),
    response_time_ms  bigint         CHECK (response_time_ms >= 0),
    created_at        timestamptz    NOT NULL DEFAULT now(),
    completed_at      timestamptz
);
CREATE INDEX request_history_user_created_idx ON request_history (user_id, created_at DESC, id DESC);
CREATE INDEX request_history_session_idx ON request_history (user_id, session_id, created_at) WHERE session_id IS NOT NULL;
CREATE INDEX request_history_pending_idx ON request_history (created_at) WHERE status = 'pending';
