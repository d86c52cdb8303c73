package org.aigateway.contracts;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/**
 * One event on the wire, published by the gateway and consumed by analytics. {@code eventId} is the idempotency
 * key: the same event delivered again must not be counted again. The gateway makes it with {@link TimeOrderedUuids}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UsageEvent(
        UUID eventId,
        int schemaVersion,
        String eventType,
        String eventName,
        String userId,
        String sessionId,
        String service,
        Properties properties,
        Metadata metadata,
        Instant timestamp) {

    public static final int SCHEMA_VERSION = 1;

    /** Completed requests; counted in usage totals. Routed to {@link Topology#EVENTS_QUEUE}. */
    public static final String TYPE_AI_REQUEST = "ai_request";
    /** Things an operator should look at (upstream 5xx, timeouts, auth failures); never counted as usage. */
    public static final String TYPE_CRITICAL = "critical";
    /** Per-request timings. Routed to {@link Topology#PERFORMANCE_QUEUE}. */
    public static final String TYPE_PERFORMANCE = "performance";

    /** What happened, in numbers. Token counts and times are never negative; cost is exact. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Properties(
            String provider,
            String model,
            String requestType,
            String status,
            Long promptTokens,
            Long completionTokens,
            Long cachedTokens,
            Long tokensUsed,
            BigDecimal cost,
            Long responseTime,
            Long upstreamTime,
            Long gatewayOverhead,
            Long timeToFirstToken,
            Integer httpStatus,
            Integer upstreamStatus,
            String errorMessage) {
    }

    /** Where the event came from: the history row it describes and the request that caused it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Metadata(UUID historyId, JsonNode requestData) {
    }
}
