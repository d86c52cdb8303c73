package org.aigateway.analytics;

import org.aigateway.contracts.Topology;
import org.aigateway.contracts.UsageEvent;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/** Builds wire events as the gateway publishes them. */
public final class TestEvents {
    private TestEvents() {
    }

    public static UsageEvent aiRequest(String userId, Instant at, String provider, String model, String status,
                                       long promptTokens, long completionTokens, BigDecimal cost, long responseMs) {
        return new UsageEvent(UUID.randomUUID(), UsageEvent.SCHEMA_VERSION, UsageEvent.TYPE_AI_REQUEST,
                "chat.completion", userId, "session-1", "gateway-service",
                new UsageEvent.Properties(provider, model, "chat", status, promptTokens, completionTokens, 0L,
                        promptTokens + completionTokens, cost, responseMs, responseMs - 5, 5L, 20L,
                        "success".equals(status) ? 200 : 502, null, null),
                new UsageEvent.Metadata(UUID.randomUUID(), null), at);
    }

    public static UsageEvent performance(String userId, Instant at, String provider, String model, long totalMs,
                                         long ttftMs) {
        return new UsageEvent(UUID.randomUUID(), UsageEvent.SCHEMA_VERSION, UsageEvent.TYPE_PERFORMANCE,
                "request.timing", userId, null, "gateway-service",
                new UsageEvent.Properties(provider, model, "chat", "success", null, null, null, null, null, totalMs,
                        Math.max(0, totalMs - 3), Math.min(3L, totalMs), ttftMs, 200, 200, null),
                null, at);
    }

    public static UsageEvent critical(String userId, Instant at) {
        return new UsageEvent(UUID.randomUUID(), UsageEvent.SCHEMA_VERSION, UsageEvent.TYPE_CRITICAL,
                "upstream.error", userId, null, "gateway-service",
                new UsageEvent.Properties("mock", "mock-1", "chat", "error", null, null, null, null, null, null,
                        null, null, null, 502, 500, "upstream failed"),
                null, at);
    }

    /** The work queue the gateway routes an event of this type to. */
    public static String queueFor(UsageEvent event) {
        return switch (event.eventType()) {
            case UsageEvent.TYPE_CRITICAL -> Topology.CRITICAL_QUEUE;
            case UsageEvent.TYPE_PERFORMANCE -> Topology.PERFORMANCE_QUEUE;
            default -> Topology.EVENTS_QUEUE;
        };
    }
}
