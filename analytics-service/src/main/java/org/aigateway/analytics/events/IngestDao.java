package org.aigateway.analytics.events;

import org.aigateway.analytics.performance.PerformanceSample;
import org.aigateway.analytics.usage.UsageAggregator;
import org.aigateway.analytics.usage.UsageRows;
import org.jdbi.v3.core.Jdbi;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Stores a batch of events and everything derived from them in one transaction: the events not stored before, then
 * the user totals, the daily usage and the performance samples they add.
 */
// The consumer's hot path. Each table is written by one statement whose rows arrive as one JSON array, on plain JDBC
// (the driver keeps the statements prepared per connection), so a batch costs four round trips plus the commit.
public final class IngestDao {
    /** Inserts the events not stored yet and returns their ids; an id already stored is skipped, not an error. */
    static final String INSERT_NEW_EVENTS = """
            INSERT INTO analytics_events (event_id, schema_version, event_type, event_name, user_id, session_id,
                service, provider, model, request_type, status, prompt_tokens, completion_tokens, cached_tokens,
                tokens_used, cost, response_time_ms, history_id, properties, metadata, occurred_at)
            SELECT r.event_id, r.schema_version, r.event_type, r.event_name, r.user_id, r.session_id,
                r.service, r.provider, r.model, r.request_type, r.status, r.prompt_tokens, r.completion_tokens,
                r.cached_tokens, r.tokens_used, r.cost, r.response_time_ms, r.history_id,
                coalesce(r.properties, '{}'), coalesce(r.metadata, '{}'), r.occurred_at
            FROM jsonb_to_recordset(CAST(? AS jsonb)) AS r(
                event_id uuid, schema_version integer, event_type text, event_name text, user_id text,
                session_id text, service text, provider text, model text, request_type text, status text,
                prompt_tokens bigint, completion_tokens bigint, cached_tokens bigint, tokens_used bigint,
                cost numeric, response_time_ms bigint, history_id uuid, properties jsonb, metadata jsonb,
                occurred_at timestamptz)
            ORDER BY r.occurred_at, r.event_id
            ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id""";

    /** Adds each delta to its user's running totals, locking the rows in user order. */
    static final String ADD_USER_TOTALS = """
            INSERT INTO user_analytics AS t (user_id, total_requests, successful_requests, failed_requests,
                total_tokens, prompt_tokens, completion_tokens, cached_tokens, total_cost, total_response_time_ms,
                first_activity_at, last_activity_at)
            SELECT d.user_id, d.requests, d.successful, d.failed, d.total_tokens, d.prompt_tokens,
                d.completion_tokens, d.cached_tokens, d.cost, d.response_time_ms, d.first_activity_at,
                d.last_activity_at
            FROM jsonb_to_recordset(CAST(? AS jsonb)) AS d(
                user_id text, requests bigint, successful bigint, failed bigint, total_tokens bigint,
                prompt_tokens bigint, completion_tokens bigint, cached_tokens bigint, cost numeric,
                response_time_ms bigint, first_activity_at timestamptz, last_activity_at timestamptz)
            ORDER BY d.user_id
            ON CONFLICT (user_id) DO UPDATE SET
                total_requests = t.total_requests + EXCLUDED.total_requests,
                successful_requests = t.successful_requests + EXCLUDED.successful_requests,
                failed_requests = t.failed_requests + EXCLUDED.failed_requests,
                total_tokens = t.total_tokens + EXCLUDED.total_tokens,
                prompt_tokens = t.prompt_tokens + EXCLUDED.prompt_tokens,
                completion_tokens = t.completion_tokens + EXCLUDED.completion_tokens,
                cached_tokens = t.cached_tokens + EXCLUDED.cached_tokens,
                total_cost = t.total_cost + EXCLUDED.total_cost,
                total_response_time_ms = t.total_response_time_ms + EXCLUDED.total_response_time_ms,
                first_activity_at = LEAST(t.first_activity_at, EXCLUDED.first_activity_at),
                last_activity_at = GREATEST(t.last_activity_at, EXCLUDED.last_activity_at),
                updated_at = now()""";

    /**
     * Adds each delta to its user's day, locking the rows in (user, day) order. One statement for all keys also
     * sets merge_usage_breakdown up once rather than once per key.
     */
    static final String ADD_DAILY_USAGE = """
            INSERT INTO user_usage_history AS t (user_id, usage_date, total_requests, successful_requests,
                failed_requests, total_tokens, prompt_tokens, completion_tokens, total_cost, models, providers)
            SELECT d.user_id, d.usage_date, d.requests, d.successful, d.failed, d.total_tokens, d.prompt_tokens,
                d.completion_tokens, d.cost, d.models, d.providers
            FROM jsonb_to_recordset(CAST(? AS jsonb)) AS d(
                user_id text, usage_date date, requests bigint, successful bigint, failed bigint,
                total_tokens bigint, prompt_tokens bigint, completion_tokens bigint, cost numeric, models jsonb,
                providers jsonb)
            ORDER BY d.user_id, d.usage_date
            ON CONFLICT (user_id, usage_date) DO UPDATE SET
                total_requests = t.total_requests + EXCLUDED.total_requests,
                successful_requests = t.successful_requests + EXCLUDED.successful_requests,
                failed_requests = t.failed_requests + EXCLUDED.failed_requests,
                total_tokens = t.total_tokens + EXCLUDED.total_tokens,
                prompt_tokens = t.prompt_tokens + EXCLUDED.prompt_tokens,
                completion_tokens = t.completion_tokens + EXCLUDED.completion_tokens,
                total_cost = t.total_cost + EXCLUDED.total_cost,
                models = merge_usage_breakdown(t.models, EXCLUDED.models),
                providers = merge_usage_breakdown(t.providers, EXCLUDED.providers),
                updated_at = now()""";

    static final String INSERT_PERFORMANCE_SAMPLES = """
            INSERT INTO performance_metrics (event_id, provider, model, total_ms, upstream_ms, overhead_ms, ttft_ms,
                occurred_at)
            SELECT s.event_id, s.provider, s.model, s.total_ms, s.upstream_ms, s.overhead_ms, s.ttft_ms,
                s.occurred_at
            FROM jsonb_to_recordset(CAST(? AS jsonb)) AS s(
                event_id uuid, provider text, model text, total_ms bigint, upstream_ms bigint, overhead_ms bigint,
                ttft_ms bigint, occurred_at timestamptz)
            ORDER BY s.occurred_at, s.event_id
            ON CONFLICT (event_id) DO NOTHING""";

    private final Jdbi jdbi;

    public IngestDao(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /**
     * Only events whose id was not stored before reach the aggregates, which is what makes a redelivered message
     * count once. Every write goes in a fixed key order (see {@link IncomingEvent#LOCK_ORDER}), so concurrent
     * batches never wait on each other in a cycle. Nothing is visible to anyone until the commit.
     */
    public IngestResult ingest(List<IncomingEvent> batch) {
        return jdbi.inTransaction(handle -> {
            try {
                return ingest(handle.getConnection(), batch);
            } catch (SQLException e) {
                throw new IngestException(e);
            }
        });
    }

    private static IngestResult ingest(Connection connection, List<IncomingEvent> batch) throws SQLException {
        List<IncomingEvent> ordered = IncomingEvent.distinctInLockOrder(batch);
        Set<UUID> inserted = new HashSet<>();
        try (PreparedStatement insert = connection.prepareStatement(INSERT_NEW_EVENTS)) {
            insert.setString(1, EventRows.toJson(ordered));
            try (ResultSet ids = insert.executeQuery()) {
                while (ids.next()) {
                    inserted.add(ids.getObject(1, UUID.class));
                }
            }
        }
        List<IncomingEvent> fresh = ordered.stream().filter(e -> inserted.contains(e.eventId())).toList();

        UsageAggregator.UsageDeltas deltas = UsageAggregator.aggregate(fresh);
        if (!deltas.users().isEmpty()) {
            update(connection, ADD_USER_TOTALS, UsageRows.userTotals(deltas.users()));
            update(connection, ADD_DAILY_USAGE, UsageRows.dailyUsage(deltas.days()));
        }
        List<PerformanceSample> samples = PerformanceSample.of(fresh);
        if (!samples.isEmpty()) {
            update(connection, INSERT_PERFORMANCE_SAMPLES, PerformanceSample.toJson(samples));
        }
        return new IngestResult(fresh.size(), batch.size() - fresh.size());
    }

    private static void update(Connection connection, String sql, String rowsJson) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, rowsJson);
            statement.executeUpdate();
        }
    }

    /** How many events of a batch were new, and how many had been stored before. */
    public record IngestResult(int stored, int duplicates) {
    }

    /** A statement of the batch failed; the cause is the driver's exception, SQL state included. */
    public static final class IngestException extends RuntimeException {
        IngestException(SQLException cause) {
            super(cause.getMessage(), cause);
        }
    }
}
