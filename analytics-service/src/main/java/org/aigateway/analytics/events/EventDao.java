package org.aigateway.analytics.events;

import org.jdbi.v3.sqlobject.config.RegisterRowMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

import java.util.List;

/** Reads the event log, {@code analytics_events}; {@link IngestDao} writes it. */
public interface EventDao {
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
