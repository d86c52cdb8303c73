package org.aigateway.analytics.usage;

import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.Define;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;
import org.jdbi.v3.sqlobject.transaction.Transaction;

import java.time.LocalDate;
import java.util.List;
import java.util.Optional;

/**
 * Reads the usage aggregates, {@code user_analytics} and {@code user_usage_history}, and rebuilds them from the event
 * log; the consumer adds to them through {@link org.aigateway.analytics.events.IngestDao}.
 */
public interface UsageDao {
    @SqlQuery("""
            SELECT user_id, total_requests, successful_requests, failed_requests, total_tokens, prompt_tokens,
                   completion_tokens, cached_tokens, total_cost, total_response_time_ms, first_activity_at,
                   last_activity_at
            FROM user_analytics WHERE user_id = :userId""")
    @RegisterConstructorMapper(UserTotals.class)
    Optional<UserTotals> findUser(@Bind("userId") String userId);

    @SqlQuery("""
            SELECT usage_date, total_requests, successful_requests, failed_requests, total_tokens, prompt_tokens,
                   completion_tokens, total_cost, models::text AS models, providers::text AS providers
            FROM user_usage_history
            WHERE user_id = :userId AND usage_date BETWEEN :from AND :to
            ORDER BY usage_date""")
    @RegisterConstructorMapper(DailyUsageRow.class)
    List<DailyUsageRow> dailyUsage(@Bind("userId") String userId, @Bind("from") LocalDate from,
                                   @Bind("to") LocalDate to);

    /** Usage per day ({@code usage_date::text}) or per user ({@code user_id}), from the daily rows. */
    @SqlQuery("""
            SELECT <key> AS key, sum(total_requests) AS requests, sum(successful_requests) AS successful_requests,
                   sum(failed_requests) AS failed_requests, sum(total_tokens) AS tokens, sum(total_cost) AS cost
            FROM user_usage_history
            WHERE usage_date BETWEEN :from AND :to
            GROUP BY 1 ORDER BY 1""")
    @RegisterConstructorMapper(UsageRow.class)
    List<UsageRow> usageGroupedBy(@Define("key") String keyExpression, @Bind("from") LocalDate from,
                                  @Bind("to") LocalDate to);

    /** Usage per model ({@code models}) or per provider ({@code providers}), from the daily breakdowns. */
    @SqlQuery("""
            SELECT b.key AS key, sum((b.value ->> 'requests')::bigint) AS requests,
                   NULL::bigint AS successful_requests, NULL::bigint AS failed_requests,
                   sum((b.value ->> 'tokens')::bigint) AS tokens, sum((b.value ->> 'cost')::numeric) AS cost
            FROM user_usage_history h CROSS JOIN LATERAL jsonb_each(h.<breakdown>) AS b
            WHERE h.usage_date BETWEEN :from AND :to
            GROUP BY 1 ORDER BY 1""")
    @RegisterConstructorMapper(UsageRow.class)
    List<UsageRow> usageByBreakdown(@Define("breakdown") String breakdownColumn, @Bind("from") LocalDate from,
                                    @Bind("to") LocalDate to);

    /**
     * Recomputes both aggregate tables from the event log. The share lock waits for consumers' open batches and
     * holds new ones back until the rebuilt totals are committed, so no event is counted twice or missed.
     */
    @Transaction
    default RebuildResult rebuild() {
        lockEventsAgainstWriters();
        deleteUserTotals();
        deleteDailyUsage();
        int users = insertUserTotalsFromEvents();
        int days = insertDailyUsageFromEvents();
        return new RebuildResult(users, days);
    }

    /** How many rows a rebuild wrote. */
    record RebuildResult(int users, int days) {
    }

    @SqlUpdate("LOCK TABLE analytics_events IN SHARE ROW EXCLUSIVE MODE")
    void lockEventsAgainstWriters();

    @SqlUpdate("DELETE FROM user_analytics")
    void deleteUserTotals();

    @SqlUpdate("DELETE FROM user_usage_history")
    void deleteDailyUsage();

    @SqlUpdate("""
            INSERT INTO user_analytics (user_id, total_requests, successful_requests, failed_requests, total_tokens,
                prompt_tokens, completion_tokens, cached_tokens, total_cost, total_response_time_ms,
                first_activity_at, last_activity_at)
            SELECT user_id, count(*), count(*) FILTER (WHERE status = 'success'),
                   count(*) FILTER (WHERE status IS DISTINCT FROM 'success'),
                   coalesce(sum(tokens_used), 0), coalesce(sum(prompt_tokens), 0),
                   coalesce(sum(completion_tokens), 0), coalesce(sum(cached_tokens), 0), coalesce(sum(cost), 0),
                   coalesce(sum(response_time_ms), 0), min(occurred_at), max(occurred_at)
            FROM analytics_events
            WHERE event_type = 'ai_request'
            GROUP BY user_id""")
    int insertUserTotalsFromEvents();

    /** Token totals count {@code tokens_used}, which the consumer fills in from prompt plus completion if absent. */
    @SqlUpdate("""
            WITH usage AS (
                SELECT user_id, (occurred_at AT TIME ZONE 'UTC')::date AS usage_date, status,
                       coalesce(nullif(model, ''), 'unknown') AS model,
                       coalesce(nullif(provider, ''), 'unknown') AS provider,
                       coalesce(tokens_used, 0) AS tokens, coalesce(prompt_tokens, 0) AS prompt_tokens,
                       coalesce(completion_tokens, 0) AS completion_tokens, coalesce(cost, 0) AS cost
                FROM analytics_events
                WHERE event_type = 'ai_request'),
            days AS (
                SELECT user_id, usage_date, count(*) AS requests,
                       count(*) FILTER (WHERE status = 'success') AS successful, sum(tokens) AS tokens,
                       sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens,
                       sum(cost) AS cost
                FROM usage GROUP BY 1, 2),
            models AS (
                SELECT user_id, usage_date, jsonb_object_agg(model, jsonb_build_object(
                           'requests', requests, 'tokens', tokens, 'cost', trim_scale(cost)::text)) AS breakdown
                FROM (SELECT user_id, usage_date, model, count(*) AS requests, sum(tokens) AS tokens,
                             sum(cost) AS cost
                      FROM usage GROUP BY 1, 2, 3) AS per_model
                GROUP BY 1, 2),
            providers AS (
                SELECT user_id, usage_date, jsonb_object_agg(provider, jsonb_build_object(
                           'requests', requests, 'tokens', tokens, 'cost', trim_scale(cost)::text)) AS breakdown
                FROM (SELECT user_id, usage_date, provider, count(*) AS requests, sum(tokens) AS tokens,
                             sum(cost) AS cost
                      FROM usage GROUP BY 1, 2, 3) AS per_provider
                GROUP BY 1, 2)
            INSERT INTO user_usage_history (user_id, usage_date, total_requests, successful_requests,
                failed_requests, total_tokens, prompt_tokens, completion_tokens, total_cost, models, providers)
            SELECT d.user_id, d.usage_date, d.requests, d.successful, d.requests - d.successful, d.tokens,
                   d.prompt_tokens, d.completion_tokens, d.cost, m.breakdown, p.breakdown
            FROM days AS d
            JOIN models AS m USING (user_id, usage_date)
            JOIN providers AS p USING (user_id, usage_date)""")
    int insertDailyUsageFromEvents();
}
