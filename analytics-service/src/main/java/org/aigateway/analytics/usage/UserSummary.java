package org.aigateway.analytics.usage;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.aigateway.analytics.Money;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;

/** A user's all-time usage; the averages and the success rate are derived from the exact sums on every read. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UserSummary(
        String userId,
        long totalRequests,
        long successfulRequests,
        long failedRequests,
        BigDecimal successRate,
        long totalTokens,
        long promptTokens,
        long completionTokens,
        long cachedTokens,
        BigDecimal totalCost,
        BigDecimal averageCostPerRequest,
        BigDecimal averageTokensPerRequest,
        BigDecimal averageResponseTimeMs,
        Instant firstActivityAt,
        Instant lastActivityAt) {

    public static UserSummary of(UserTotals t) {
        long n = t.totalRequests();
        return new UserSummary(t.userId(), n, t.successfulRequests(), t.failedRequests(),
                ratio(BigDecimal.valueOf(t.successfulRequests()), n, 4),
                t.totalTokens(), t.promptTokens(), t.completionTokens(), t.cachedTokens(),
                Money.of(t.totalCost()),
                Money.of(ratio(t.totalCost(), n, 12)),
                ratio(BigDecimal.valueOf(t.totalTokens()), n, 1),
                ratio(BigDecimal.valueOf(t.totalResponseTimeMs()), n, 1),
                t.firstActivityAt(), t.lastActivityAt());
    }

    private static BigDecimal ratio(BigDecimal sum, long count, int scale) {
        return count == 0 ? null : sum.divide(BigDecimal.valueOf(count), scale, RoundingMode.HALF_EVEN);
    }
}
