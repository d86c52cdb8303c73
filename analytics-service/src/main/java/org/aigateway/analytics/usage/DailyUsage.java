package org.aigateway.analytics.usage;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.Map;

/** One user's usage on one UTC day, with per-model and per-provider breakdowns. */
public record DailyUsage(
        LocalDate date,
        long totalRequests,
        long successfulRequests,
        long failedRequests,
        long totalTokens,
        long promptTokens,
        long completionTokens,
        BigDecimal totalCost,
        Map<String, Breakdown> models,
        Map<String, Breakdown> providers) {
}
