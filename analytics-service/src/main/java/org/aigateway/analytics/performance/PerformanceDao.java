package org.aigateway.analytics.performance;

import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.Define;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

import java.time.Instant;
import java.util.List;

/** Request timings in {@code performance_metrics}, and their percentiles. */
public interface PerformanceDao {
    /** Percentiles of the total time per group; {@code key} is a trusted SQL expression, never client input. */
    @SqlQuery("""
            SELECT <key> AS key, count(*) AS count,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY total_ms) AS p50_ms,
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY total_ms) AS p95_ms,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY total_ms) AS p99_ms,
                   round(avg(ttft_ms), 1)::float8 AS mean_time_to_first_token_ms,
                   round(avg(upstream_ms), 1)::float8 AS mean_upstream_ms,
                   round(avg(overhead_ms), 1)::float8 AS mean_overhead_ms
            FROM performance_metrics
            WHERE occurred_at >= :from AND occurred_at < :until
            GROUP BY 1 ORDER BY 1""")
    @RegisterConstructorMapper(PerformanceRow.class)
    List<PerformanceRow> percentiles(@Define("key") String keyExpression, @Bind("from") Instant from,
                                     @Bind("until") Instant until);
}
