package org.aigateway.bench.pipeline;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.aigateway.contracts.EventJson;
import org.aigateway.contracts.TimeOrderedUuids;
import org.aigateway.contracts.UsageEvent;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Usage events as the gateway publishes them for a successful chat completion (same contract classes, same JSON
 * configuration, same kind of ids), serialized up front so that building them is not part of what is measured.
 */
final class BenchEvents {
    static final long PROMPT_TOKENS = 14;
    static final long COMPLETION_TOKENS = 20;

    /** One serialized event and its id. */
    record Prepared(UUID eventId, byte[] body) {
    }

    private static final BigDecimal COST = new BigDecimal("0.0000141");

    private final ObjectMapper mapper = EventJson.newMapper().enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
    private final JsonNode requestData;

    BenchEvents() {
        try {
            requestData = mapper.readTree("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"Say hello in one short sentence.\"}],\"max_tokens\":32}");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code count} distinct events spread round-robin over {@code users} users named {@code userPrefix + n}. */
    List<Prepared> build(String userPrefix, int count, int users) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        List<Prepared> events = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            UsageEvent.Properties properties = new UsageEvent.Properties("openai", "gpt-4o-mini", "chat.completion",
                    "success", PROMPT_TOKENS, COMPLETION_TOKENS, 0L, PROMPT_TOKENS + COMPLETION_TOKENS, COST,
                    100L + i % 50, null, null, null, 200, 200, null);
            UsageEvent event = new UsageEvent(TimeOrderedUuids.next(), UsageEvent.SCHEMA_VERSION, UsageEvent.TYPE_AI_REQUEST,
                    "chat_completion_success", userPrefix + (i % users), null, "gateway-service", properties,
                    new UsageEvent.Metadata(TimeOrderedUuids.next(), requestData), now.minusMillis(count - i));
            try {
                events.add(new Prepared(event.eventId(), mapper.writeValueAsBytes(event)));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("usage events always serialize", e);
            }
        }
        return events;
    }
}
