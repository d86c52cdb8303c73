package org.aigateway.gateway.history;

import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/** One row of {@code request_history} as clients read it, in snake_case like the rest of the OpenAI-style API. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record HistoryRecord(
        UUID id,
        String userId,
        String sessionId,
        String provider,
        String model,
        String upstreamModel,
        String requestType,
        boolean stream,
        String status,
        @JsonRawValue String request,
        @JsonRawValue String response,
        String errorMessage,
        Integer upstreamStatus,
        Integer httpStatus,
        Long promptTokens,
        Long completionTokens,
        Long totalTokens,
        Long cachedTokens,
        Long cacheCreationTokens,
        BigDecimal cost,
        Long responseTimeMs,
        Long timeToFirstTokenMs,
        Instant createdAt,
        Instant completedAt) {
}
