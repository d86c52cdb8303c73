package org.aigateway.gateway.stats;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.math.BigDecimal;
import java.time.LocalDate;

/**
 * Finished requests of one user counted together: all of them (no model, no date), one model's or one UTC day's.
 * {@code failed} is every request that did not succeed: errors, cancelled and aborted ones.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UsageGroup(
        String model,
        LocalDate date,
        long requests,
        long successful,
        long failed,
        long promptTokens,
        long completionTokens,
        long totalTokens,
        BigDecimal cost) {
}
