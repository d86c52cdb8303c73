--liquibase formatted sql

--changeset aigateway:4
--comment: Request timings from performance events, one row per event, so percentiles can be computed per provider, model and hour.
CREATE TABLE performance_metrics (
    id             bigserial   PRIMARY KEY,
    event_id       uuid        NOT NULL,
    provider       text,
    model          text,
    total_ms       bigint      CHECK (total_ms >= 0),
    upstream_ms    bigint      CHECK (upstream_ms >= 0),
    overhead_ms    bigint      CHECK (overhead_ms >= 0),
    ttft_ms        bigint      CHECK (ttft_ms >= 0),
    occurred_at    timestamptz NOT NULL,
    CONSTRAINT performance_metrics_event_id_key UNIQUE (event_id)
);
CREATE INDEX performance_metrics_occurred_idx ON performance_metrics (occurred_at);
--rollback DROP TABLE performance_metrics;

--changeset aigateway:5
--comment: Readers page through one user's events newest first.
CREATE INDEX analytics_events_user_id_idx ON analytics_events (user_id, id);
--rollback DROP INDEX analytics_events_user_id_idx;

--changeset aigateway:6 splitStatements:false
--comment: Adds two per-model or per-provider breakdowns key by key. Costs are decimal strings summed as numeric, so no digit is lost.
CREATE FUNCTION merge_usage_breakdown(current_value jsonb, delta jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT coalesce(jsonb_object_agg(k.key, jsonb_build_object(
           'requests', coalesce((current_value -> k.key ->> 'requests')::bigint, 0)
                       + coalesce((delta -> k.key ->> 'requests')::bigint, 0),
           'tokens', coalesce((current_value -> k.key ->> 'tokens')::bigint, 0)
                     + coalesce((delta -> k.key ->> 'tokens')::bigint, 0),
           'cost', trim_scale(coalesce((current_value -> k.key ->> 'cost')::numeric, 0)
                              + coalesce((delta -> k.key ->> 'cost')::numeric, 0))::text)), '{}'::jsonb)
FROM (SELECT jsonb_object_keys(current_value) AS key
      UNION
      SELECT jsonb_object_keys(delta)) AS k
$$;
--rollback DROP FUNCTION merge_usage_breakdown(jsonb, jsonb);
