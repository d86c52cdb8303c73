package org.aigateway.analytics.performance;

import org.aigateway.analytics.events.IncomingEvent;
import org.aigateway.contracts.UsageEvent;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** The timings of one request, from a performance event. */
public record PerformanceSample(UUID eventId, String provider, String model, Long totalMs, Long upstreamMs,
                                Long overheadMs, Long ttftMs, Instant occurredAt) {

    /** The samples among {@code events}; other event types carry none. */
    public static List<PerformanceSample> of(List<IncomingEvent> events) {
        return events.stream().filter(IncomingEvent::isPerformance).map(PerformanceSample::of).toList();
    }

    private static PerformanceSample of(IncomingEvent event) {
        UsageEvent.Properties p = event.properties();
        return new PerformanceSample(event.eventId(), p.provider(), p.model(), p.responseTime(), p.upstreamTime(),
                p.gatewayOverhead(), p.timeToFirstToken(), event.occurredAt());
    }
}
