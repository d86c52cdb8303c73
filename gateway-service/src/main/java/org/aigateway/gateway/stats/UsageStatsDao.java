package org.aigateway.gateway.stats;

import org.aigateway.support.paging.DateRange;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A user's usage computed from {@code request_history} itself, so it always equals the records. One scan, served by
 * {@code request_history_user_created_idx}, grouped three ways at once; requests still pending are not counted.
 */
@RegisterConstructorMapper(UsageStatsDao.Row.class)
public interface UsageStatsDao {
    /** One group of the grouping sets: {@code groupedBy} says which ("total", "model" or "day"). */
    record Row(String groupedBy, String model, LocalDate day, long requests, long successful, long promptTokens,
               long completionTokens, long totalTokens, BigDecimal cost) {
        UsageGroup group() {
            return new UsageGroup(model, day, requests, successful, requests - successful, promptTokens,
                    completionTokens, totalTokens, cost);
        }
    }

    @SqlQuery("""
            SELECT CASE WHEN GROUPING(model) = 0 THEN 'model' WHEN GROUPING(day) = 0 THEN 'day' ELSE 'total' END
                       AS grouped_by,
                   model, day, count(*) AS requests, count(*) FILTER (WHERE status = 'success') AS successful,
                   COALESCE(sum(prompt_tokens), 0) AS prompt_tokens,
                   COALESCE(sum(completion_tokens), 0) AS completion_tokens,
                   COALESCE(sum(total_tokens), 0) AS total_tokens, COALESCE(sum(cost), 0) AS cost
            FROM (SELECT model, (created_at AT TIME ZONE 'UTC')::date AS day, status, prompt_tokens,
                         completion_tokens, total_tokens, cost
                  FROM request_history
                  WHERE user_id = :userId AND created_at >= :from AND created_at < :to AND status <> 'pending') r
            GROUP BY GROUPING SETS ((), (model), (day))""")
    List<Row> groups(@Bind("userId") String userId, @Bind("from") Instant from, @Bind("to") Instant toExclusive);

    default UsageStats stats(String userId, DateRange range) {
        UsageGroup totals = null;
        List<UsageGroup> byModel = new ArrayList<>();
        List<UsageGroup> byDay = new ArrayList<>();
        for (Row row : groups(userId, range.startInstant(), range.endInstantExclusive())) {
            switch (row.groupedBy()) {
                case "model" -> byModel.add(row.group());
                case "day" -> byDay.add(row.group());
                default -> totals = row.group();
            }
        }
        byModel.sort(Comparator.comparing(UsageGroup::model));
        byDay.sort(Comparator.comparing(UsageGroup::date));
        return new UsageStats(userId, range.from(), range.to(), totals, byModel, byDay);
    }
}
