package org.aigateway.gateway.history;

import org.aigateway.gateway.outbox.OutboxMessage;
import org.aigateway.gateway.session.SessionDao;
import org.jdbi.v3.core.mapper.reflect.ConstructorMapper;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.sqlobject.SqlObject;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** The {@code request_history} table: a row per request, created pending and closed exactly once. */
@RegisterConstructorMapper(HistoryRecord.class)
public interface RequestHistoryDao extends SqlObject {
    /** What is known when a request starts, and which gateway instance serves it. */
    record Pending(UUID id, Instant createdAt, String userId, UUID apiKeyId, String sessionId, String provider,
                   String model, String upstreamModel, String requestType, boolean stream, String requestJson,
                   String gatewayInstance) {
    }

    /** How a request ended. */
    record Outcome(UUID id, String status, String responseJson, String errorMessage, Integer upstreamStatus,
                   int httpStatus, long promptTokens, long completionTokens, long totalTokens, long cachedTokens,
                   long cacheCreationTokens, BigDecimal cost, long responseTimeMs, Long timeToFirstTokenMs) {
    }

    /**
     * Opens the request's row and, for a request in a session, creates or reopens the session, in one statement
     * (so one round trip and one commit); without a session id no session is written.
     */
    @SqlUpdate("WITH opened AS (INSERT INTO request_history (id, created_at, user_id, api_key_id, session_id, "
            + "provider, model, upstream_model, request_type, stream, status, request_data, gateway_instance) "
            + "VALUES (:id, :createdAt, :userId, :apiKeyId, :sessionId, :provider, :model, :upstreamModel, "
            + ":requestType, :stream, 'pending', CAST(:requestJson AS jsonb), :gatewayInstance) "
            + "RETURNING user_id, session_id, created_at) "
            + "INSERT INTO session_history AS s (user_id, session_id, status, started_at, last_request_at) "
            + "SELECT user_id, session_id, 'active', created_at, created_at FROM opened WHERE session_id IS NOT NULL "
            + SessionDao.REOPEN_ON_CONFLICT)
    void insertPending(@BindMethods Pending pending);

    /**
     * Closes the row, adds it to its session's counters and queues its events in one statement, hence one
     * transaction and one round trip, so history, sessions and analytics can never disagree; an already closed row
     * is neither counted again nor gets a second set of events. Returns whether it closed the row.
     */
    default boolean completeWithEvents(Outcome outcome, List<OutboxMessage> events) {
        return getHandle().createQuery(CLOSE_WITH_EVENTS)
                .bindMethods(outcome)
                .bindArray("eventIds", UUID.class, events.stream().map(OutboxMessage::eventId).toList())
                .bindArray("routingKeys", String.class, events.stream().map(OutboxMessage::routingKey).toList())
                .bindArray("payloads", String.class, events.stream().map(OutboxMessage::payload).toList())
                .mapTo(Integer.class)
                .one() > 0;
    }

    String CLOSE_WITH_EVENTS = "WITH closed AS (UPDATE request_history SET status = :status, "
            + "response_data = CAST(:responseJson AS jsonb), error_message = :errorMessage, "
            + "upstream_status = :upstreamStatus, http_status = :httpStatus, prompt_tokens = :promptTokens, "
            + "completion_tokens = :completionTokens, total_tokens = :totalTokens, cached_tokens = :cachedTokens, "
            + "cache_creation_tokens = :cacheCreationTokens, cost = :cost, response_time_ms = :responseTimeMs, "
            + "time_to_first_token_ms = :timeToFirstTokenMs, completed_at = now() "
            + "WHERE id = :id AND status = 'pending' "
            + "RETURNING user_id, session_id, created_at, completed_at, total_tokens, cost), "
            + "counted AS (INSERT INTO session_history AS s (user_id, session_id, started_at, last_request_at, "
            + "total_requests, total_tokens, total_cost) SELECT user_id, session_id, created_at, completed_at, 1, "
            + "total_tokens, cost FROM closed WHERE session_id IS NOT NULL " + SessionDao.ADD_ON_CONFLICT + "), "
            + "queued AS (INSERT INTO outbox (event_id, routing_key, payload) "
            + "SELECT event.id, event.routing_key, event.payload FROM closed, "
            + "unnest(:eventIds, :routingKeys, :payloads) WITH ORDINALITY AS event(id, routing_key, payload, position) "
            + "ORDER BY event.position) "
            + "SELECT count(*) FROM closed";

    /** The columns of a {@link HistoryRecord}. */
    String RECORD_COLUMNS = "id, user_id, session_id, provider, model, upstream_model, request_type, stream, status, "
            + "request_data::text AS request, response_data::text AS response, error_message, upstream_status, "
            + "http_status, prompt_tokens, completion_tokens, total_tokens, cached_tokens, cache_creation_tokens, cost, "
            + "response_time_ms, time_to_first_token_ms, created_at, completed_at";

    @SqlQuery("SELECT " + RECORD_COLUMNS + " FROM request_history WHERE id = :id")
    Optional<HistoryRecord> find(@Bind("id") UUID id);

    /**
     * Up to {@code rows} rows matching the query, newest first by (created_at DESC, id DESC), strictly after its
     * cursor. Only fixed SQL fragments are appended; every value is a bound parameter. With a user the
     * {@code request_history_user_created_idx} index serves the order, without one {@code request_history_created_idx}.
     */
    default List<HistoryRecord> list(HistoryQuery query, int rows) {
        List<String> where = new ArrayList<>();
        Map<String, Object> binds = new LinkedHashMap<>();
        if (query.userId() != null) {
            where.add("user_id = :userId");
            binds.put("userId", query.userId());
        }
        if (query.sessionId() != null) {
            where.add("session_id = :sessionId");
            binds.put("sessionId", query.sessionId());
        }
        if (query.model() != null) {
            where.add("model = :model");
            binds.put("model", query.model());
        }
        if (query.provider() != null) {
            where.add("provider = :provider");
            binds.put("provider", query.provider());
        }
        if (query.status() != null) {
            where.add("status = :status");
            binds.put("status", query.status());
        }
        if (query.from() != null) {
            where.add("created_at >= :from");
            binds.put("from", query.from().atOffset(ZoneOffset.UTC));
        }
        if (query.toExclusive() != null) {
            where.add("created_at < :to");
            binds.put("to", query.toExclusive().atOffset(ZoneOffset.UTC));
        }
        if (query.after() != null) {
            // A row comparison, so PostgreSQL walks the (created_at DESC, id DESC) index from the cursor on.
            where.add("(created_at, id) < (:afterCreatedAt, :afterId)");
            binds.put("afterCreatedAt", query.after().createdAt().atOffset(ZoneOffset.UTC));
            binds.put("afterId", query.after().id());
        }
        String sql = "SELECT " + RECORD_COLUMNS + " FROM request_history"
                + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
                + " ORDER BY created_at DESC, id DESC LIMIT :rows";
        Query statement = getHandle().createQuery(sql).bind("rows", rows);
        binds.forEach(statement::bind);
        return statement.map(ConstructorMapper.of(HistoryRecord.class)).list();
    }

    /** One page of {@link #list}, with the cursor of the next. */
    default HistoryPage page(HistoryQuery query) {
        List<HistoryRecord> rows = list(query, query.limit() + 1);
        boolean hasMore = rows.size() > query.limit();
        List<HistoryRecord> page = hasMore ? rows.subList(0, query.limit()) : rows;
        return new HistoryPage(page, hasMore, hasMore ? HistoryCursor.after(page.get(page.size() - 1)).encode() : null);
    }
}
