package org.aigateway.analytics.usage;

import java.math.BigDecimal;
import java.time.Instant;

/** A {@code user_analytics} row: one user's exact running sums. */
public record UserTotals(
        String userId,
        long totalRequests,
        long successfulRequests,
        long failedRequests,
        long totalTokens,
        long promptTokens,
        long completionTokens,
        long cachedTokens,
        BigDecimal totalCost,
        long totalResponseTimeMs,
        Instant firstActivityAt,
        Instant lastActivityAt) {
}
