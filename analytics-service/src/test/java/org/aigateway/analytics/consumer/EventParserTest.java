package org.aigateway.analytics.consumer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aigateway.analytics.events.IncomingEvent;
import org.aigateway.contracts.EventJson;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EventParserTest {
    private static final ObjectMapper MAPPER = EventJson.newMapper();
    private final EventParser parser = new EventParser(MAPPER, 64 * 1024);

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
    void wrongJsonTypesAreRejectedNotConverted() throws Exception {
        Map<String, String> reasonByChange = new LinkedHashMap<>();
        reasonByChange.put("/properties/promptTokens=1.5", "not a usage event");
        reasonByChange.put("/properties/promptTokens=\"12\"", "not a usage event");
        reasonByChange.put("/properties/completionTokens=true", "not a usage event");
        reasonByChange.put("/properties/cost=\"0.1\"", "not a usage event");
        reasonByChange.put("/properties/model=7", "not a usage event");
        reasonByChange.put("/userId=42", "not a usage event");
        reasonByChange.put("/userId={\"id\":1}", "not a usage event");
        reasonByChange.put("/eventType=true", "not a usage event");
        reasonByChange.put("/schemaVersion=\"1\"", "not a usage event");
        reasonByChange.put("/eventId=42", "not a usage event");
        reasonByChange.put("/properties=[1,2]", "not a usage event");
        reasonByChange.put("/metadata=\"none\"", "not a usage event");
        reasonByChange.put("/timestamp=1738367999", "timestamp is not an ISO-8601 string");
        for (Map.Entry<String, String> change : reasonByChange.entrySet()) {
            String[] pathAndValue = change.getKey().split("=", 2);
            ObjectNode node = valid();
            String[] path = pathAndValue[0].substring(1).split("/");
            ObjectNode parent = path.length == 1 ? node : (ObjectNode) node.get(path[0]);
            parent.set(path[path.length - 1], MAPPER.readTree(pathAndValue[1]));
            assertThatThrownBy(() -> parse(node)).as(change.getKey()).isInstanceOf(InvalidEventException.class)
                    .hasMessageContaining(change.getValue());
        }
    }

    @Test
    void messageOverTheLimitIsRejectedUnread() throws Exception {
        ObjectNode node = valid();
        ((ObjectNode) node.get("metadata")).put("requestData", "x".repeat(64 * 1024));

        assertRejected(node, "over the limit of 65536");
    }

    @Test
    void nulCharacterIsRejected() throws Exception {
        assertRejected(valid().put("userId", "a\u0000b"), "\\u0000");
    }
}
