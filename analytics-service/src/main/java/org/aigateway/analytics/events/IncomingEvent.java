package org.aigateway.analytics.events;

import com.fasterxml.jackson.databind.JsonNode;
import org.aigateway.contracts.UsageEvent;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A validated event ready to be stored, with its original {@code properties} and {@code metadata} objects. */
// The raw objects are stored, not the parsed records, so that fields this version does not know are kept.
public record IncomingEvent(UsageEvent event, JsonNode rawProperties, JsonNode rawMetadata) {
    /** The order every writer inserts and locks in, so that two transactions never wait on each other in a cycle. */
    public static final Comparator<IncomingEvent> LOCK_ORDER =
            Comparator.comparing(IncomingEvent::occurredAt).thenComparing(IncomingEvent::eventId);

    private static final UsageEvent.Properties NO_PROPERTIES = new UsageEvent.Properties(
            null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);

    public UUID eventId() {
        return event.eventId();
    }

    public String userId() {
        return event.userId();
    }

    public String eventType() {
        return event.eventType();
    }

    public Instant occurredAt() {
        return event.timestamp();
    }

    public LocalDate usageDate() {
        return LocalDate.ofInstant(event.timestamp(), ZoneOffset.UTC);
    }

    public UsageEvent.Properties properties() {
        return event.properties() == null ? NO_PROPERTIES : event.properties();
    }

    public boolean countsAsUsage() {
        return UsageEvent.TYPE_AI_REQUEST.equals(event.eventType());
    }

    public boolean isPerformance() {
        return UsageEvent.TYPE_PERFORMANCE.equals(event.eventType());
    }

    public boolean succeeded() {
        return "success".equals(properties().status());
    }

    /** The tokens the request used: as reported, or prompt plus completion when the total was left out. */
    public Long totalTokens() {
        UsageEvent.Properties p = properties();
        if (p.tokensUsed() != null) {
            return p.tokensUsed();
        }
        if (p.promptTokens() == null && p.completionTokens() == null) {
            return null;
        }
        return orZero(p.promptTokens()) + orZero(p.completionTokens());
    }

    public BigDecimal costOrZero() {
        BigDecimal cost = properties().cost();
        return cost == null ? BigDecimal.ZERO : cost;
    }

    /** One copy of each event id, in {@link #LOCK_ORDER}. */
    public static List<IncomingEvent> distinctInLockOrder(List<IncomingEvent> events) {
        Map<UUID, IncomingEvent> byId = new LinkedHashMap<>();
        for (IncomingEvent event : events) {
            byId.putIfAbsent(event.eventId(), event);
        }
        return byId.values().stream().sorted(LOCK_ORDER).toList();
    }

    static long orZero(Long value) {
        return value == null ? 0 : value;
    }
}
