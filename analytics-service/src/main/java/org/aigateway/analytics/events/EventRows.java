package org.aigateway.analytics.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aigateway.contracts.EventJson;
import org.aigateway.contracts.UsageEvent;

import java.util.List;

/** Packs a batch of events into one JSON array, so the whole batch is inserted by a single statement. */
final class EventRows {
    private static final ObjectMapper MAPPER = EventJson.newMapper();

    private EventRows() {
    }

    static String toJson(List<IncomingEvent> events) {
        ArrayNode rows = JsonNodeFactory.instance.arrayNode(events.size());
        for (IncomingEvent incoming : events) {
            UsageEvent event = incoming.event();
            UsageEvent.Properties p = incoming.properties();
            ObjectNode row = rows.addObject();
            row.put("event_id", event.eventId().toString());
            row.put("schema_version", event.schemaVersion());
            row.put("event_type", event.eventType());
            row.put("event_name", event.eventName() == null ? event.eventType() : event.eventName());
            row.put("user_id", event.userId());
            row.put("session_id", event.sessionId());
            row.put("service", event.service());
            row.put("provider", p.provider());
            row.put("model", p.model());
            row.put("request_type", p.requestType());
            row.put("status", p.status());
            row.put("prompt_tokens", p.promptTokens());
            row.put("completion_tokens", p.completionTokens());
            row.put("cached_tokens", p.cachedTokens());
            row.put("tokens_used", incoming.totalTokens());
            // A string, so the decimal reaches numeric digit for digit.
            row.put("cost", p.cost() == null ? null : p.cost().toPlainString());
            row.put("response_time_ms", p.responseTime());
            row.put("history_id", event.metadata() == null || event.metadata().historyId() == null
                    ? null : event.metadata().historyId().toString());
            row.set("properties", incoming.rawProperties());
            row.set("metadata", incoming.rawMetadata());
            row.put("occurred_at", event.timestamp().toString());
        }
        try {
            return MAPPER.writeValueAsString(rows);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize event rows", e);
        }
    }
}
