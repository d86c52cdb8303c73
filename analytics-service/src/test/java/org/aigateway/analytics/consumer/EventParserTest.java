package org.aigateway.analytics.consumer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aigateway.analytics.events.IncomingEvent;
import org.aigateway.contracts.EventJson;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EventParserTest {
    private static final ObjectMapper MAPPER = EventJson.newMapper();
    private final EventParser parser = new EventParser(MAPPER);

    private static ObjectNode valid() throws Exception {
        return (ObjectNode) MAPPER.readTree("""
                {"eventId":"5d1c7a52-5d8e-4a53-9a8c-0d4b6f3f2a10","schemaVersion":1,"eventType":"ai_request",
                 "eventName":"chat.completion","userId":"user-1","timestamp":"2025-01-31T23:59:59.123Z",
                 "properties":{"provider":"mock","model":"mock-1","status":"success","promptTokens":3,
                               "completionTokens":4,"cost":0.000000000123,"futureField":"kept"},
                 "metadata":{"requestData":{"stream":false}}}""");
    }

    private IncomingEvent parse(ObjectNode node) throws InvalidEventException {
        return parser.parse(node.toString().getBytes(StandardCharsets.UTF_8));
    }

    private void assertRejected(ObjectNode node, String reason) {
        assertThatThrownBy(() -> parse(node)).isInstanceOf(InvalidEventException.class).hasMessageContaining(reason);
    }

    @Test
    void validEventKeepsExactCostAndUnknownProperties() throws Exception {
        IncomingEvent event = parse(valid());

        assertThat(event.properties().cost()).isEqualByComparingTo(new BigDecimal("0.000000000123"));
        assertThat(event.totalTokens()).isEqualTo(7L);
        assertThat(event.rawProperties().path("futureField").asText()).isEqualTo("kept");
        assertThat(event.usageDate()).hasToString("2025-01-31");
        assertThat(event.countsAsUsage()).isTrue();
        assertThat(event.succeeded()).isTrue();
    }

    @Test
    void badJsonIsRejected() {
        assertThatThrownBy(() -> parser.parse("{not json".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidEventException.class).hasMessageContaining("not JSON");
        assertThatThrownBy(() -> parser.parse("[1,2]".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidEventException.class).hasMessageContaining("not a JSON object");
    }

    @Test
    void missingRequiredFieldsAreRejected() throws Exception {
        for (String field : new String[] {"eventId", "userId", "eventType", "timestamp"}) {
            ObjectNode node = valid();
            node.remove(field);
            assertRejected(node, field + " is missing");
        }
    }

    @Test
    void unknownSchemaVersionIsRejected() throws Exception {
        assertRejected(valid().put("schemaVersion", 2), "unsupported schemaVersion 2");
    }

    @Test
    void negativeNumbersAreRejected() throws Exception {
        ObjectNode tokens = valid();
        ((ObjectNode) tokens.get("properties")).put("completionTokens", -1);
        assertRejected(tokens, "completionTokens is negative");

        ObjectNode cost = valid();
        ((ObjectNode) cost.get("properties")).put("cost", new BigDecimal("-0.01"));
        assertRejected(cost, "cost is negative");
    }

    @Test
    void costThatNumericCannotHoldExactlyIsRejected() throws Exception {
        ObjectNode node = valid();
        ((ObjectNode) node.get("properties")).put("cost", new BigDecimal("0.0000000000001"));
        assertRejected(node, "more than 12 decimals");
    }

    @Test
    void malformedIdIsRejected() throws Exception {
        assertRejected(valid().put("eventId", "not-a-uuid"), "not a usage event");
    }

    @Test
    void nulCharacterIsRejected() throws Exception {
        assertRejected(valid().put("userId", "a\u0000b"), "\\u0000");
    }
}
