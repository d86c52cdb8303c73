package org.aigateway.analytics.usage;

import java.math.BigDecimal;
import java.time.LocalDate;

/** What one batch adds to one user's totals for one UTC day; the breakdowns are jsonb objects keyed by name. */
public record DailyUsageDelta(
        String userId,
        LocalDate usageDate,
        long requests,
        long successful,
        long failed,
        long totalTokens,
        long promptTokens,
        long completionTokens,
        BigDecimal cost,
        String models,
        String providers) {
}
