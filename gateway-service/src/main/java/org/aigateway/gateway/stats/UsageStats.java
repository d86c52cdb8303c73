package org.aigateway.gateway.stats;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.LocalDate;
import java.util.List;

/**
 * A user's usage over a range of UTC days: totals, per model (by name) and per day (days without requests left out).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.ALWAYS)
public record UsageStats(String userId, LocalDate from, LocalDate to, UsageGroup totals, List<UsageGroup> byModel,
                         List<UsageGroup> byDay) {
}
