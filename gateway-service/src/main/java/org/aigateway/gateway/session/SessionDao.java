package org.aigateway.gateway.session;

import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.sqlobject.SqlObject;
import org.jdbi.v3.sqlobject.config.RegisterRowMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;
import org.jdbi.v3.sqlobject.transaction.Transaction;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The {@code session_history} table. Counters are only ever changed by adding to them in one statement, so any
 * number of concurrent requests and gateways keep them exact.
 */
@RegisterRowMapper(SessionRecordMapper.class)
public interface SessionDao extends SqlObject {
    /** How a started request creates its session, or reopens it if it had ended (its start stays). */
    String REOPEN_ON_CONFLICT = """
            ON CONFLICT (user_id, session_id) DO UPDATE SET
                status = 'active',
                ended_at = NULL,
                duration_ms = NULL,
                started_at = LEAST(s.started_at, EXCLUDED.started_at),
                last_request_at = GREATEST(s.last_request_at, EXCLUDED.last_request_at)""";

    /** What adding finished requests sets on their session: its counters and when it was last used. */
    String ADDED_COUNTS = """
                total_requests = s.total_requests + EXCLUDED.total_requests,
                total_tokens = s.total_tokens + EXCLUDED.total_tokens,
                total_cost = s.total_cost + EXCLUDED.total_cost,
                last_request_at = GREATEST(s.last_request_at, EXCLUDED.last_request_at)""";

    /**
     * How a finished request is added to its session, whatever its status, with the tokens and cost recorded on it.
     * It does not reopen an ended session: a request still running when its session ended is counted, but the
     * session stays ended. Runs in the statement that closes the request, which happens exactly once.
     */
    String ADD_ON_CONFLICT = """
            ON CONFLICT (user_id, session_id) DO UPDATE SET
            """ + ADDED_COUNTS;

    /**
     * How a request that is written once, when it has finished, is added to its session: as a request started there
     * ({@link #REOPEN_ON_CONFLICT}) and finished there ({@link #ADD_ON_CONFLICT}) at once. It reopens the session
     * only if the session had ended before the request started (its {@code started_at} here): one ended while the
     * request ran stays ended, as with {@link #ADD_ON_CONFLICT}.
     */
    String RECORD_ON_CONFLICT = """
            ON CONFLICT (user_id, session_id) DO UPDATE SET
                status = CASE WHEN s.ended_at >= EXCLUDED.started_at THEN s.status ELSE 'active' END,
                ended_at = CASE WHEN s.ended_at >= EXCLUDED.started_at THEN s.ended_at END,
                duration_ms = CASE WHEN s.ended_at >= EXCLUDED.started_at THEN s.duration_ms END,
                started_at = LEAST(s.started_at, EXCLUDED.started_at),
            """ + ADDED_COUNTS;

    /** A request started in the session: creates it, or reopens it if it had ended. */
    @SqlUpdate("INSERT INTO session_history AS s (user_id, session_id, status, started_at, last_request_at) "
            + "VALUES (:userId, :sessionId, 'active', :at, :at) " + REOPEN_ON_CONFLICT)
    void requestStarted(@Bind("userId") String userId, @Bind("sessionId") String sessionId, @Bind("at") Instant at);

    @SqlQuery("SELECT " + SessionRecordMapper.COLUMNS
            + " FROM session_history WHERE user_id = :userId AND session_id = :sessionId")
    Optional<SessionRecord> find(@Bind("userId") String userId, @Bind("sessionId") String sessionId);

    // GREATEST: started_at comes from the gateway's clock, now() from the database's.
    @SqlUpdate("UPDATE session_history SET status = 'ended', ended_at = now(), "
            + "duration_ms = GREATEST(0, floor(extract(epoch FROM (now() - started_at)) * 1000))::bigint "
            + "WHERE user_id = :userId AND session_id = :sessionId AND status = 'active'")
    int endIfActive(@Bind("userId") String userId, @Bind("sessionId") String sessionId);

    /** Ends the session now, unless it already ended; empty if there is no such session. */
    @Transaction
    default Optional<SessionRecord> end(String userId, String sessionId) {
        endIfActive(userId, sessionId);
        return find(userId, sessionId);
    }

    /**
     * Ends up to {@code limit} sessions whose last request is older than {@code idleMillis}, as of their last
     * request. Rows another transaction holds (a request starting or finishing, another gateway sweeping) are
     * skipped and looked at on the next sweep, so sweepers never wait for or double-end each other.
     */
    @SqlUpdate("WITH idle AS (SELECT user_id, session_id FROM session_history WHERE status = 'active' "
            + "AND last_request_at < now() - :idleMillis * interval '1 millisecond' "
            + "ORDER BY last_request_at LIMIT :limit FOR UPDATE SKIP LOCKED) "
            + "UPDATE session_history s SET status = 'ended', ended_at = s.last_request_at, "
            + "duration_ms = GREATEST(0, floor(extract(epoch FROM (s.last_request_at - s.started_at)) * 1000))::bigint"
            + " FROM idle WHERE s.user_id = idle.user_id AND s.session_id = idle.session_id")
    int endIdle(@Bind("idleMillis") long idleMillis, @Bind("limit") int limit);

    /**
     * Up to {@code rows} sessions matching the query, newest first by (started_at, user_id, session_id) descending,
     * strictly after its cursor. Only fixed SQL fragments are appended; every value is a bound parameter. With a user
     * {@code session_history_user_started_idx} serves the order, without one {@code session_history_started_idx}.
     */
    default List<SessionRecord> list(SessionQuery query, int rows) {
        List<String> where = new ArrayList<>();
        Map<String, Object> binds = new LinkedHashMap<>();
        if (query.userId() != null) {
            where.add("user_id = :userId");
            binds.put("userId", query.userId());
        }
        if (query.status() != null) {
            where.add("status = :status");
            binds.put("status", query.status());
        }
        if (query.after() != null) {
            // Row comparisons in index order, so PostgreSQL walks the index from the cursor on.
            where.add(query.userId() != null
                    ? "(started_at, session_id) < (:afterStartedAt, :afterSessionId)"
                    : "(started_at, user_id, session_id) < (:afterStartedAt, :afterUserId, :afterSessionId)");
            binds.put("afterStartedAt", query.after().startedAt().atOffset(ZoneOffset.UTC));
            if (query.userId() == null) {
                binds.put("afterUserId", query.after().userId());
            }
            binds.put("afterSessionId", query.after().sessionId());
        }
        String sql = "SELECT " + SessionRecordMapper.COLUMNS + " FROM session_history"
                + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
                + " ORDER BY started_at DESC, user_id DESC, session_id DESC LIMIT :rows";
        Query statement = getHandle().createQuery(sql).bind("rows", rows);
        binds.forEach(statement::bind);
        return statement.mapTo(SessionRecord.class).list();
    }

    /** One page of {@link #list}, with the cursor of the next. */
    default SessionPage page(SessionQuery query) {
        List<SessionRecord> rows = list(query, query.limit() + 1);
        boolean hasMore = rows.size() > query.limit();
        List<SessionRecord> page = hasMore ? rows.subList(0, query.limit()) : rows;
        return new SessionPage(page, hasMore, hasMore ? SessionCursor.after(page.get(page.size() - 1)).encode() : null);
    }
}
