package org.aigateway.gateway.session;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * One row of {@code session_history} as clients read it: the requests made with one {@code X-Session-Id} by one
 * user, counted as they finish.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.ALWAYS)
public record SessionRecord(
        String sessionId,
        String userId,
        String status,
        long totalRequests,
        long totalTokens,
        BigDecimal totalCost,
        Instant startedAt,
        Instant lastRequestAt,
        Instant endedAt,
        Long durationMs) {
}
