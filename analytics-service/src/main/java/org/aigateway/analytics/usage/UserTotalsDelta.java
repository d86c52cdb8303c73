package org.aigateway.analytics.usage;

import java.math.BigDecimal;
import java.time.Instant;

/** What one batch adds to one user's running totals. */
public record UserTotalsDelta(
        String userId,
        long requests,
        long successful,
        long failed,
        long totalTokens,
        long promptTokens,
        long completionTokens,
        long cachedTokens,
        BigDecimal cost,
        long responseTimeMs,
        Instant firstActivityAt,
        Instant lastActivityAt) {
}
