package org.aigateway.analytics.usage;

import java.math.BigDecimal;
import java.time.LocalDate;

/** A {@code user_usage_history} row, its breakdowns still jsonb text. */
public record DailyUsageRow(
        LocalDate usageDate,
        long totalRequests,
        long successfulRequests,
        long failedRequests,
        long totalTokens,
        long promptTokens,
        long completionTokens,
        BigDecimal totalCost,
        String models,
        String providers) {
}
