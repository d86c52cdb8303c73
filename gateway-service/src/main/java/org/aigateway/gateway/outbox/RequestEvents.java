package org.aigateway.gateway.outbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import org.aigateway.contracts.TimeOrderedUuids;
import org.aigateway.contracts.Topology;
import org.aigateway.contracts.UsageEvent;
import org.aigateway.gateway.history.JsonbSafeWriter;
import org.aigateway.gateway.history.RequestHistoryDao.Outcome;
import org.aigateway.gateway.history.RequestHistoryDao.Pending;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The events one finished request produces: its usage event, its timings, and an alert when the upstream failed
 * in a way an operator should see (5xx, timeout, unreachable); and alerts about refused credentials.
 */
public class RequestEvents {
    static final String SERVICE = "gateway-service";
    /** The user id of events about requests whose caller is unknown. */
    public static final String ANONYMOUS_USER = "anonymous";

    private final ObjectWriter json;

    public RequestEvents(ObjectMapper mapper) {
        this.json = JsonbSafeWriter.of(mapper);
    }

    /**
     * @param upstreamMs time spent waiting for the provider
     * @param requestBody the request as recorded in history
     */
    public List<OutboxMessage> forOutcome(Pending request, Outcome outcome, long upstreamMs, JsonNode requestBody) {
        // Usage is attributed to the moment the request arrived, the same instant history records.
        Instant occurredAt = request.createdAt();
        boolean success = "success".equals(outcome.status());
        UsageEvent.Metadata metadata = new UsageEvent.Metadata(request.id(), requestBody);
        List<OutboxMessage> events = new ArrayList<>(3);

        events.add(message(Topology.EVENTS_QUEUE, new UsageEvent(TimeOrderedUuids.next(), UsageEvent.SCHEMA_VERSION,
                UsageEvent.TYPE_AI_REQUEST, success ? "chat_completion_success" : "chat_completion_error",
                request.userId(), request.sessionId(), SERVICE, properties(request, outcome, null, null), metadata, occurredAt)));

        long overhead = Math.max(0, outcome.responseTimeMs() - upstreamMs);
        events.add(message(Topology.PERFORMANCE_QUEUE, new UsageEvent(TimeOrderedUuids.next(), UsageEvent.SCHEMA_VERSION,
                UsageEvent.TYPE_PERFORMANCE, "request_timing", request.userId(), request.sessionId(), SERVICE,
                properties(request, outcome, upstreamMs, overhead), new UsageEvent.Metadata(request.id(), null), occurredAt)));

        if (needsAttention(outcome)) {
            events.add(message(Topology.CRITICAL_QUEUE, new UsageEvent(TimeOrderedUuids.next(), UsageEvent.SCHEMA_VERSION,
                    UsageEvent.TYPE_CRITICAL, criticalName(outcome), request.userId(), request.sessionId(), SERVICE,
                    properties(request, outcome, null, null), new UsageEvent.Metadata(request.id(), null), occurredAt)));
        }
        return events;
    }

    /** An alert that a request was refused for its credentials; such requests have no user and no history row. */
    public OutboxMessage authenticationFailed(String reason) {
        UsageEvent.Properties properties = new UsageEvent.Properties(null, null, null, "error", null, null, null, null,
                null, null, null, null, null, 401, null, reason);
        return message(Topology.CRITICAL_QUEUE, new UsageEvent(TimeOrderedUuids.next(), UsageEvent.SCHEMA_VERSION,
                UsageEvent.TYPE_CRITICAL, "authentication_failed", ANONYMOUS_USER, null, SERVICE, properties,
                null, Instant.now()));
    }

    private static boolean needsAttention(Outcome outcome) {
        return !"success".equals(outcome.status()) && outcome.httpStatus() >= 500;
    }

    private static String criticalName(Outcome outcome) {
        if (outcome.httpStatus() == 504) {
            return "upstream_timeout";
        }
        return outcome.upstreamStatus() == null ? "upstream_unreachable" : "upstream_error";
    }

    private static UsageEvent.Properties properties(Pending request, Outcome outcome, Long upstreamMs, Long overheadMs) {
        return new UsageEvent.Properties(request.provider(), request.model(), request.requestType(), outcome.status(),
                outcome.promptTokens(), outcome.completionTokens(), outcome.cachedTokens(), outcome.totalTokens(),
                outcome.cost(), outcome.responseTimeMs(), upstreamMs, overheadMs, outcome.timeToFirstTokenMs(), outcome.httpStatus(),
                outcome.upstreamStatus(), outcome.errorMessage());
    }

    private OutboxMessage message(String queue, UsageEvent event) {
        try {
            return OutboxMessage.unsaved(event.eventId(), Topology.routingKey(queue), json.writeValueAsString(event));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("usage events always serialize", e);
        }
    }
}
