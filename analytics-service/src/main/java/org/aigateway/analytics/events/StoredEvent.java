package org.aigateway.analytics.events;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/** One event as stored, as the events endpoint returns it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StoredEvent(
        @JsonIgnore long id,
        UUID eventId,
        String eventType,
        String eventName,
        String userId,
        String sessionId,
        String service,
        String provider,
        String model,
        String requestType,
        String status,
        Long promptTokens,
        Long completionTokens,
        Long cachedTokens,
        Long tokensUsed,
        BigDecimal cost,
        Long responseTimeMs,
        UUID historyId,
        JsonNode properties,
        JsonNode metadata,
        Instant occurredAt,
        Instant receivedAt) {
}
