package org.aigateway.analytics.performance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.aigateway.analytics.events.IncomingEvent;
import org.aigateway.analytics.IsoInstants;
import org.aigateway.contracts.EventJson;
import org.aigateway.contracts.UsageEvent;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** The timings of one request, from a performance event. */
public record PerformanceSample(UUID eventId, String provider, String model, Long totalMs, Long upstreamMs,
                                Long overheadMs, Long ttftMs, Instant occurredAt) {
    private static final ObjectMapper MAPPER = EventJson.newMapper();

    /** The samples among {@code events}; other event types carry none. */
    public static List<PerformanceSample> of(List<IncomingEvent> events) {
        return events.stream().filter(IncomingEvent::isPerformance).map(PerformanceSample::of).toList();
    }

    /** The samples as one JSON array of rows, so they are inserted by a single statement. */
    public static String toJson(List<PerformanceSample> samples) {
        ArrayNode rows = JsonNodeFactory.instance.arrayNode(samples.size());
        for (PerformanceSample s : samples) {
            rows.addObject()
                    .put("event_id", s.eventId().toString())
                    .put("provider", s.provider())
                    .put("model", s.model())
                    .put("total_ms", s.totalMs())
                    .put("upstream_ms", s.upstreamMs())
                    .put("overhead_ms", s.overheadMs())
                    .put("ttft_ms", s.ttftMs())
                    .put("occurred_at", IsoInstants.format(s.occurredAt()));
        }
        try {
            return MAPPER.writeValueAsString(rows);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize performance rows", e);
        }
    }

    private static PerformanceSample of(IncomingEvent event) {
        UsageEvent.Properties p = event.properties();
        return new PerformanceSample(event.eventId(), p.provider(), p.model(), p.responseTime(), p.upstreamTime(),
                p.gatewayOverhead(), p.timeToFirstToken(), event.occurredAt());
    }
}
