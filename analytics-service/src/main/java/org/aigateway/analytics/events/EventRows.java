package org.aigateway.analytics.events;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.aigateway.analytics.IsoInstants;
import org.aigateway.contracts.EventJson;
import org.aigateway.contracts.UsageEvent;

import java.io.IOException;
import java.io.StringWriter;
import java.util.List;
import java.util.UUID;

/** Packs a batch of events into one JSON array, so the whole batch is inserted by a single statement. */
// Written straight to the output, without building a tree per row first: this runs for every event consumed.
final class EventRows {
    private static final ObjectMapper MAPPER = EventJson.newMapper();
    /** A generous guess at one row's size, so the buffer rarely grows. */
    private static final int ROW_BYTES = 1024;

    private EventRows() {
    }

    static String toJson(List<IncomingEvent> events) {
        StringWriter out = new StringWriter(Math.max(16, events.size() * ROW_BYTES));
        try (JsonGenerator row = MAPPER.createGenerator(out)) {
            row.writeStartArray();
            for (IncomingEvent incoming : events) {
                UsageEvent event = incoming.event();
                UsageEvent.Properties p = incoming.properties();
                row.writeStartObject();
                row.writeStringField("event_id", event.eventId().toString());
                row.writeNumberField("schema_version", event.schemaVersion());
                row.writeStringField("event_type", event.eventType());
                row.writeStringField("event_name", event.eventName() == null ? event.eventType() : event.eventName());
                row.writeStringField("user_id", event.userId());
                row.writeStringField("session_id", event.sessionId());
                row.writeStringField("service", event.service());
                row.writeStringField("provider", p.provider());
                row.writeStringField("model", p.model());
                row.writeStringField("request_type", p.requestType());
                row.writeStringField("status", p.status());
                writeNumber(row, "prompt_tokens", p.promptTokens());
                writeNumber(row, "completion_tokens", p.completionTokens());
                writeNumber(row, "cached_tokens", p.cachedTokens());
                writeNumber(row, "tokens_used", incoming.totalTokens());
                // A string, so the decimal reaches numeric digit for digit.
                row.writeStringField("cost", p.cost() == null ? null : p.cost().toPlainString());
                writeNumber(row, "response_time_ms", p.responseTime());
                UUID historyId = event.metadata() == null ? null : event.metadata().historyId();
                row.writeStringField("history_id", historyId == null ? null : historyId.toString());
                row.writeFieldName("properties");
                row.writeTree(incoming.rawProperties());
                row.writeFieldName("metadata");
                row.writeTree(incoming.rawMetadata());
                row.writeStringField("occurred_at", IsoInstants.format(event.timestamp()));
                row.writeEndObject();
            }
            row.writeEndArray();
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize event rows", e);
        }
        return out.toString();
    }

    private static void writeNumber(JsonGenerator row, String field, Long value) throws IOException {
        if (value == null) {
            row.writeNullField(field);
        } else {
            row.writeNumberField(field, value);
        }
    }
}
