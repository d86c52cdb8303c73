package org.aigateway.analytics.events;

import org.jdbi.v3.sqlobject.config.RegisterRowMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

import java.util.List;
import java.util.UUID;

/** The event log: every event once, in {@code analytics_events}. */
public interface EventDao {
    /** Inserts the events not stored yet and returns their ids; an id already stored is skipped, not an error. */
    @SqlQuery("""
            INSERT INTO analytics_events (event_id, schema_version, event_type, event_name, user_id, session_id,
                service, provider, model, request_type, status, prompt_tokens, completion_tokens, cached_tokens,
                tokens_used, cost, response_time_ms, history_id, properties, metadata, occurred_at)
            SELECT r.event_id, r.schema_version, r.event_type, r.event_name, r.user_id, r.session_id,
                r.service, r.provider, r.model, r.request_type, r.status, r.prompt_tokens, r.completion_tokens,
                r.cached_tokens, r.tokens_used, r.cost, r.response_time_ms, r.history_id,
                coalesce(r.properties, '{}'), coalesce(r.metadata, '{}'), r.occurred_at
            FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
                event_id uuid, schema_version integer, event_type text, event_name text, user_id text,
                session_id text, service text, provider text, model text, request_type text, status text,
                prompt_tokens bigint, completion_tokens bigint, cached_tokens bigint, tokens_used bigint,
                cost numeric, response_time_ms bigint, history_id uuid, properties jsonb, metadata jsonb,
                occurred_at timestamptz)
            ORDER BY r.occurred_at, r.event_id
            ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id""")
    List<UUID> insertNew(@Bind("rows") String rowsJson);

    /** A page of events, newest first, strictly before the given row id when there is one. */
    @SqlQuery("""
            SELECT id, event_id, event_type, event_name, user_id, session_id, service, provider, model,
                   request_type, status, prompt_tokens, completion_tokens, cached_tokens, tokens_used, cost,
                   response_time_ms, history_id, properties::text AS properties, metadata::text AS metadata,
                   occurred_at, received_at
            FROM analytics_events
            WHERE (CAST(:userId AS text) IS NULL OR user_id = :userId)
              AND (CAST(:eventType AS text) IS NULL OR event_type = :eventType)
              AND (CAST(:beforeId AS bigint) IS NULL OR id < :beforeId)
            ORDER BY id DESC
            LIMIT :limit""")
    @RegisterRowMapper(StoredEventMapper.class)
    List<StoredEvent> page(@Bind("userId") String userId, @Bind("eventType") String eventType,
                           @Bind("beforeId") Long beforeId, @Bind("limit") int limit);
}
