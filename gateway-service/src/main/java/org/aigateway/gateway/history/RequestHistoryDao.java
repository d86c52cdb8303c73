package org.aigateway.gateway.history;

import org.aigateway.gateway.outbox.OutboxMessage;
import org.aigateway.gateway.session.SessionDao;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.argument.Argument;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.statement.SqlStatement;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.sqlobject.SqlObject;
import org.jdbi.v3.sqlobject.config.RegisterRowMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The {@code request_history} table: a row per request, created pending and closed exactly once. */
@RegisterRowMapper(HistoryRecordMapper.class)
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

    /** A request's outcome and the events that go to the outbox with it. */
    record Closing(Outcome outcome, List<OutboxMessage> events) {
    }

    /**
     * Opens the rows of requests and, for those in a session, creates or reopens the session, in one statement (so
     * one round trip and one commit); without a session id no session is written. With
     * {@code durable = false} the commit does not wait for the WAL flush: a pending row only matters while its
     * request runs, and the statement that closes it waits for the flush (which covers everything before it) and
     * writes the row again should a database crash have lost it.
     */
    default void openAll(List<Pending> rows, boolean durable) {
        openAll(getHandle(), rows, durable);
    }

    /** {@link #openAll(List, boolean)} on a handle, for writers that need no SqlObject around one statement. */
    static void openAll(Handle handle, List<Pending> rows, boolean durable) {
        bindPending(handle.createUpdate(OPEN_ALL), rows)
                .bind("synchronousCommit", durable ? null : "off")
                .execute();
    }

    /** Binds the rows' columns as the arrays of {@link #PENDING_ARRAYS}. */
    private static <S extends SqlStatement<S>> S bindPending(S statement, List<Pending> rows) {
        Function<Function<Pending, Object>, TextArray> column = value -> asText(rows, value);
        return statement
                .bind("ids", column.apply(Pending::id))
                .bind("createdAts", column.apply(Pending::createdAt))
                .bind("userIds", column.apply(Pending::userId))
                .bind("apiKeyIds", column.apply(Pending::apiKeyId))
                .bind("sessionIds", column.apply(Pending::sessionId))
                .bind("providers", column.apply(Pending::provider))
                .bind("models", column.apply(Pending::model))
                .bind("upstreamModels", column.apply(Pending::upstreamModel))
                .bind("requestTypes", column.apply(Pending::requestType))
                .bind("streams", column.apply(Pending::stream))
                .bind("requests", column.apply(Pending::requestJson))
                .bind("instances", column.apply(Pending::gatewayInstance));
    }

    /** Binds the outcomes' columns, all but their ids, as the arrays of {@link #OUTCOME_ARRAYS}. */
    private static <S extends SqlStatement<S>> S bindOutcomes(S statement, List<Outcome> outcomes) {
        Function<Function<Outcome, Object>, TextArray> column = value -> asText(outcomes, value);
        return statement
                .bind("statuses", column.apply(Outcome::status))
                .bind("responses", column.apply(Outcome::responseJson))
                .bind("errorMessages", column.apply(Outcome::errorMessage))
                .bind("upstreamStatuses", column.apply(Outcome::upstreamStatus))
                .bind("httpStatuses", column.apply(Outcome::httpStatus))
                .bind("promptTokens", column.apply(Outcome::promptTokens))
                .bind("completionTokens", column.apply(Outcome::completionTokens))
                .bind("totalTokens", column.apply(Outcome::totalTokens))
                .bind("cachedTokens", column.apply(Outcome::cachedTokens))
                .bind("cacheCreationTokens", column.apply(Outcome::cacheCreationTokens))
                .bind("costs", column.apply(o -> o.cost() == null ? null : o.cost().toPlainString()))
                .bind("responseTimes", column.apply(Outcome::responseTimeMs))
                .bind("firstTokenTimes", column.apply(Outcome::timeToFirstTokenMs));
    }

    /** Binds the closings' events, each with its request's id, as the arrays {@link #queueEvents} unnests. */
    private static <S extends SqlStatement<S>> S bindEvents(S statement, List<Closing> closings) {
        List<String> eventHistoryIds = new ArrayList<>();
        List<String> eventIds = new ArrayList<>();
        List<String> routingKeys = new ArrayList<>();
        List<String> payloads = new ArrayList<>();
        for (Closing closing : closings) {
            for (OutboxMessage event : closing.events()) {
                eventHistoryIds.add(closing.outcome().id().toString());
                eventIds.add(event.eventId().toString());
                routingKeys.add(event.routingKey());
                payloads.add(event.payload());
            }
        }
        return statement
                .bind("eventHistoryIds", new TextArray(eventHistoryIds.toArray(String[]::new)))
                .bind("eventIds", new TextArray(eventIds.toArray(String[]::new)))
                .bind("routingKeys", new TextArray(routingKeys.toArray(String[]::new)))
                .bind("payloads", new TextArray(payloads.toArray(String[]::new)));
    }

    /** One column of rows as the text[] the statements cast from; nulls stay null. */
    private static <T> TextArray asText(List<T> rows, Function<T, Object> value) {
        String[] column = new String[rows.size()];
        for (int i = 0; i < column.length; i++) {
            Object v = value.apply(rows.get(i));
            column[i] = v == null ? null : v.toString();
        }
        return new TextArray(column);
    }

    /**
     * A column bound as PostgreSQL's driver binds a String[] itself: in binary, each value sent as it is. Bound as a
     * plain String[], JDBI looked up an argument factory for every parameter of every statement, and the driver wrote
     * each value into an array literal, escaping every quote of the JSON in it, for PostgreSQL to parse again. Binding
     * took 5.8% of the gateway's CPU at concurrency 1, where a statement carries one request, and 1.5% like this.
     */
    record TextArray(String[] values) implements Argument {
        @Override
        public void apply(int position, PreparedStatement statement, StatementContext context) throws SQLException {
            statement.setObject(position, values);
        }
    }

    // Arrays travel as text and are cast here: one text[] parameter per column whatever its type, every value exact.
    // Sessions are upserted once per key and in key order, so concurrent writers lock them in the same order.
    /** A pending row's columns as arrays, to unnest {@code AS r(}{@link #PENDING_COLUMNS}{@code )}. */
    String PENDING_ARRAYS = "CAST(:ids AS uuid[]), CAST(:createdAts AS timestamptz[]), CAST(:userIds AS text[]), "
            + "CAST(:apiKeyIds AS uuid[]), CAST(:sessionIds AS text[]), CAST(:providers AS text[]), "
            + "CAST(:models AS text[]), CAST(:upstreamModels AS text[]), CAST(:requestTypes AS text[]), "
            + "CAST(:streams AS boolean[]), CAST(:requests AS text[]), CAST(:instances AS text[])";
    /** The request_history columns a pending row sets but its status, which also name its unnested arrays. */
    String PENDING_COLUMNS = "id, created_at, user_id, api_key_id, session_id, provider, model, upstream_model, "
            + "request_type, stream, request_data, gateway_instance";
    /** What a pending row sets {@link #PENDING_COLUMNS} to, from its arrays unnested as {@code r}. */
    String PENDING_VALUES = "r.id, r.created_at, r.user_id, r.api_key_id, r.session_id, r.provider, r.model, "
            + "r.upstream_model, r.request_type, r.stream, CAST(r.request_data AS jsonb), r.gateway_instance";

    String OPEN_ALL = "WITH settings AS (SELECT set_config('synchronous_commit', "
            + "coalesce(CAST(:synchronousCommit AS text), current_setting('synchronous_commit')), true)), "
            + "opened AS (INSERT INTO request_history (" + PENDING_COLUMNS + ", status) "
            + "SELECT " + PENDING_VALUES + ", 'pending' "
            + "FROM settings, unnest(" + PENDING_ARRAYS + ") AS r(" + PENDING_COLUMNS + ") "
            + "RETURNING user_id, session_id, created_at) "
            + "INSERT INTO session_history AS s (user_id, session_id, status, started_at, last_request_at) "
            + "SELECT user_id, session_id, 'active', min(created_at), max(created_at) FROM opened "
            + "WHERE session_id IS NOT NULL GROUP BY user_id, session_id ORDER BY user_id, session_id "
            + SessionDao.REOPEN_ON_CONFLICT;

    /**
     * Closes the row, adds it to its session's counters and queues its events in one statement, hence one
     * transaction and one round trip, so history, sessions and analytics can never disagree; an already closed row
     * is neither counted again nor gets a second set of events. Returns whether it closed the row.
     */
    default boolean completeWithEvents(Outcome outcome, List<OutboxMessage> events) {
        return closeAll(List.of(new Closing(outcome, events))).contains(outcome.id());
    }

    /**
     * {@link #completeWithEvents} for many requests in one statement. Returns the ids of the rows it closed; a row
     * that was closed before, or does not exist, is left alone and gets no events.
     */
    default Set<UUID> closeAll(List<Closing> closings) {
        return closeAll(getHandle(), closings);
    }

    /** {@link #closeAll(List)} on a handle. */
    static Set<UUID> closeAll(Handle handle, List<Closing> requested) {
        // A row closes once; a second closing of it in the same statement must not queue a second set of events.
        List<Closing> closings = List.copyOf(requested.stream()
                .collect(Collectors.toMap(c -> c.outcome().id(), c -> c, (first, second) -> first, LinkedHashMap::new))
                .values());
        List<Outcome> outcomes = closings.stream().map(Closing::outcome).toList();
        Query statement = handle.createQuery(CLOSE_ALL).bind("ids", asText(outcomes, Outcome::id));
        return bindEvents(bindOutcomes(statement, outcomes), closings)
                .mapTo(UUID.class)
                .collect(Collectors.toSet());
    }

    /** An outcome's columns but its id as arrays, to unnest {@code AS o(}{@link #OUTCOME_COLUMNS}{@code )}. */
    String OUTCOME_ARRAYS = "CAST(:statuses AS text[]), CAST(:responses AS text[]), CAST(:errorMessages AS text[]), "
            + "CAST(:upstreamStatuses AS integer[]), CAST(:httpStatuses AS integer[]), CAST(:promptTokens AS bigint[]), "
            + "CAST(:completionTokens AS bigint[]), CAST(:totalTokens AS bigint[]), CAST(:cachedTokens AS bigint[]), "
            + "CAST(:cacheCreationTokens AS bigint[]), CAST(:costs AS numeric[]), CAST(:responseTimes AS bigint[]), "
            + "CAST(:firstTokenTimes AS bigint[])";
    String OUTCOME_COLUMNS = "status, response, error_message, upstream_status, http_status, prompt_tokens, "
            + "completion_tokens, total_tokens, cached_tokens, cache_creation_tokens, cost, response_time_ms, "
            + "time_to_first_token_ms";

    // The pending check compares with a subquery's value, not a literal, so that no plan can read the rows through
    // a partial "WHERE status = 'pending'" index: statistics say there are next to no pending rows, so a generic plan
    // would hash the whole of request_history_pending_idx (every request in flight, and an entry for each row closed
    // since the last vacuum) on every closing, where the rows' ids find them by the primary key.
    String CLOSE_ALL = "WITH outcome AS (SELECT * FROM unnest(CAST(:ids AS uuid[]), " + OUTCOME_ARRAYS + ") "
            + "AS o(id, " + OUTCOME_COLUMNS + ")), "
            + "closed AS (UPDATE request_history AS r SET status = o.status, "
            + "response_data = CAST(o.response AS jsonb), error_message = o.error_message, "
            + "upstream_status = o.upstream_status, http_status = o.http_status, prompt_tokens = o.prompt_tokens, "
            + "completion_tokens = o.completion_tokens, total_tokens = o.total_tokens, "
            + "cached_tokens = o.cached_tokens, cache_creation_tokens = o.cache_creation_tokens, cost = o.cost, "
            + "response_time_ms = o.response_time_ms, time_to_first_token_ms = o.time_to_first_token_ms, "
            + "completed_at = now() "
            + "FROM outcome AS o WHERE r.id = o.id AND r.status = (SELECT 'pending') "
            + "RETURNING r.id, r.user_id, r.session_id, r.created_at, r.completed_at, r.total_tokens, r.cost), "
            + "counted AS (INSERT INTO session_history AS s (user_id, session_id, started_at, last_request_at, "
            + "total_requests, total_tokens, total_cost) SELECT user_id, session_id, min(created_at), "
            + "max(completed_at), count(*), sum(total_tokens), sum(cost) FROM closed WHERE session_id IS NOT NULL "
            + "GROUP BY user_id, session_id ORDER BY user_id, session_id " + SessionDao.ADD_ON_CONFLICT + "), "
            + queueEvents("closed") + " "
            + "SELECT id FROM closed";

    /** A statement's CTE queueing the bound events of the rows it wrote (returned by {@code rows} with their ids). */
    static String queueEvents(String rows) {
        return "queued AS (INSERT INTO outbox (event_id, routing_key, payload) "
                + "SELECT event.id, event.routing_key, event.payload FROM unnest(CAST(:eventHistoryIds AS uuid[]), "
                + "CAST(:eventIds AS uuid[]), CAST(:routingKeys AS text[]), CAST(:payloads AS text[])) "
                + "WITH ORDINALITY AS event(history_id, id, routing_key, payload, position) "
                + "JOIN " + rows + " ON " + rows + ".id = event.history_id ORDER BY event.position)";
    }

    /**
     * Writes finished requests whose rows were never opened, each whole with its outcome, adds them to their
     * sessions (creating or reopening those, as an opening would) and queues their events, in one statement and one
     * durable commit. Returns the ids it wrote; a row that exists already is left alone and gets no events.
     */
    static Set<UUID> recordAll(Handle handle, List<Pending> rows, List<Closing> closings) {
        List<Outcome> outcomes = closings.stream().map(Closing::outcome).toList();
        boolean sessions = rows.stream().anyMatch(row -> row.sessionId() != null);
        Query statement = handle.createQuery(recordStatement(rows.size() == 1, sessions));
        return bindEvents(bindOutcomes(bindPending(statement, rows), outcomes), closings)
                .mapTo(UUID.class)
                .collect(Collectors.toSet());
    }

    /**
     * The statement {@link #recordAll(Handle, List, List)} runs. Every request of a quiet gateway is a statement of
     * its own, so the statement is also made for that case: one row reads its values from the arrays' first elements,
     * where unnesting them made PostgreSQL fill a tuple store per array; and rows without a session skip the session
     * upsert, which PostgreSQL would otherwise set up for nothing. A single row without a session took about a fifth
     * less of PostgreSQL's CPU so (median 0.39 ms against 0.48 ms with its commit, five alternating pgbench runs).
     */
    static String recordStatement(boolean oneRow, boolean sessions) {
        return oneRow ? (sessions ? RECORD_ONE : RECORD_ONE_WITHOUT_SESSIONS)
                : (sessions ? RECORD_ALL : RECORD_ALL_WITHOUT_SESSIONS);
    }

    /** The arrays a written row's columns are bound as, in the order of {@code r}'s columns. */
    String RECORD_ARRAYS = PENDING_ARRAYS + ", " + OUTCOME_ARRAYS;
    String RECORD_ALL = recordStatementFrom("unnest(" + RECORD_ARRAYS + ")", true);
    String RECORD_ALL_WITHOUT_SESSIONS = recordStatementFrom("unnest(" + RECORD_ARRAYS + ")", false);
    String RECORD_ONE = recordStatementFrom(firstElements(RECORD_ARRAYS), true);
    String RECORD_ONE_WITHOUT_SESSIONS = recordStatementFrom(firstElements(RECORD_ARRAYS), false);

    /**
     * The one row of the arrays' first elements, for {@code FROM}: {@code (SELECT (CAST(:ids AS uuid[]))[1], …)}.
     * The arrays are told apart by the ", " between them, which no {@code CAST(:name AS type[])} holds.
     */
    private static String firstElements(String arrays) {
        return Arrays.stream(arrays.split(", "))
                .map(array -> "(" + array + ")[1]")
                .collect(Collectors.joining(", ", "(SELECT ", ")"));
    }

    private static String recordStatementFrom(String rows, boolean sessions) {
        return "WITH recorded AS (INSERT INTO request_history (" + PENDING_COLUMNS + ", status, "
                + "response_data, error_message, upstream_status, http_status, prompt_tokens, completion_tokens, "
                + "total_tokens, cached_tokens, cache_creation_tokens, cost, response_time_ms, time_to_first_token_ms, "
                + "completed_at) "
                + "SELECT " + PENDING_VALUES + ", r.status, CAST(r.response AS jsonb), r.error_message, "
                + "r.upstream_status, r.http_status, r.prompt_tokens, r.completion_tokens, r.total_tokens, "
                + "r.cached_tokens, r.cache_creation_tokens, r.cost, r.response_time_ms, r.time_to_first_token_ms, "
                + "now() "
                + "FROM " + rows + " AS r(" + PENDING_COLUMNS + ", " + OUTCOME_COLUMNS + ") "
                + "ON CONFLICT (id) DO NOTHING "
                + "RETURNING id, user_id, session_id, created_at, completed_at, total_tokens, cost), "
                + (sessions
                        ? "counted AS (INSERT INTO session_history AS s (user_id, session_id, status, started_at, "
                        + "last_request_at, total_requests, total_tokens, total_cost) SELECT user_id, session_id, "
                        + "'active', min(created_at), max(GREATEST(created_at, completed_at)), count(*), "
                        + "sum(total_tokens), sum(cost) FROM recorded "
                        + "WHERE session_id IS NOT NULL GROUP BY user_id, session_id ORDER BY user_id, session_id "
                        + SessionDao.RECORD_ON_CONFLICT + "), "
                        : "")
                + queueEvents("recorded") + " "
                + "SELECT id FROM recorded";
    }

    /**
     * For rows {@link #closeAll} did not close: writes again, durably, those that are missing because a database
     * crash lost their unflushed opening, and closes them, in one transaction. Returns the ids it closed; rows that
     * exist were closed before and are left alone.
     */
    static Set<UUID> restoreLostAndClose(Handle handle, List<Pending> notClosed, List<Closing> closings) {
        return handle.inTransaction(transaction -> {
            Set<UUID> found = transaction.createQuery("SELECT id FROM request_history WHERE id = ANY(:ids)")
                    .bind("ids", notClosed.stream().map(Pending::id).toArray(UUID[]::new))
                    .mapTo(UUID.class)
                    .collect(Collectors.toSet());
            List<Pending> lost = notClosed.stream().filter(p -> !found.contains(p.id())).toList();
            if (lost.isEmpty()) {
                return Set.<UUID>of();
            }
            openAll(transaction, lost, true);
            Set<UUID> lostIds = lost.stream().map(Pending::id).collect(Collectors.toSet());
            return closeAll(transaction, closings.stream().filter(c -> lostIds.contains(c.outcome().id())).toList());
        });
    }

    @SqlQuery("SELECT " + HistoryRecordMapper.COLUMNS + " FROM request_history WHERE id = :id")
    Optional<HistoryRecord> find(@Bind("id") UUID id);

    /**
     * Up to {@code rows} rows matching the query, newest first by (created_at DESC, id DESC), strictly after its
     * cursor. Only fixed SQL fragments are appended; every value is a bound parameter but the status, which is one
     * of a fixed set. With a user the {@code request_history_user_created_idx} index serves the order, without one
     * {@code request_history_created_idx}.
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
            // A literal, not a parameter: the gateway's connections use generic plans, and only with the literal can
            // PostgreSQL read the few pending rows from request_history_pending_idx instead of walking all rows.
            if (!HistoryQuery.STATUSES.contains(query.status())) {
                throw new IllegalArgumentException("not a history status: " + query.status());
            }
            where.add("status = '" + query.status() + "'");
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
        String sql = "SELECT " + HistoryRecordMapper.COLUMNS + " FROM request_history"
                + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
                + " ORDER BY created_at DESC, id DESC LIMIT :rows";
        Query statement = getHandle().createQuery(sql).bind("rows", rows);
        binds.forEach(statement::bind);
        return statement.mapTo(HistoryRecord.class).list();
    }

    /** One page of {@link #list}, with the cursor of the next. */
    default HistoryPage page(HistoryQuery query) {
        List<HistoryRecord> rows = list(query, query.limit() + 1);
        boolean hasMore = rows.size() > query.limit();
        List<HistoryRecord> page = hasMore ? rows.subList(0, query.limit()) : rows;
        return new HistoryPage(page, hasMore, hasMore ? HistoryCursor.after(page.get(page.size() - 1)).encode() : null);
    }
}
