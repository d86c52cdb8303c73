package org.aigateway.analytics.usage;

import com.fasterxml.jackson.databind.JsonNode;
import org.aigateway.analytics.events.IncomingEvent;
import org.aigateway.contracts.EventJson;
import org.aigateway.contracts.UsageEvent;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class UsageAggregatorTest {
    private static IncomingEvent event(String type, String user, String at, String model, String status,
                                       long tokens, String cost) {
        UsageEvent.Properties properties = new UsageEvent.Properties("mock", model, "chat", status, tokens, 0L, 0L,
                null, new BigDecimal(cost), 100L, null, null, null, 200, null, null);
        UsageEvent event = new UsageEvent(UUID.randomUUID(), 1, type, "chat.completion", user, null, "gateway",
                properties, null, Instant.parse(at));
        JsonNode empty = EventJson.newMapper().createObjectNode();
        return new IncomingEvent(event, empty, empty);
    }

    @Test
    void foldsEventsPerUserAndDayInKeyOrderWithExactCost() throws Exception {
        UsageAggregator.UsageDeltas deltas = UsageAggregator.aggregate(List.of(
                event("ai_request", "user-b", "2025-01-01T10:00:00Z", "m1", "success", 10, "0.1"),
                event("ai_request", "user-a", "2025-01-02T00:00:00Z", "m1", "error", 5, "0.000000000001"),
                event("ai_request", "user-a", "2025-01-01T23:59:59Z", null, "success", 7, "0.2"),
                event("ai_request", "user-a", "2025-01-01T01:00:00Z", "m2", "success", 1, "0.30"),
                event("critical", "user-a", "2025-01-01T01:00:00Z", "m2", "error", 1000, "9"),
                event("performance", "user-c", "2025-01-01T01:00:00Z", "m2", "success", 1000, "9")));

        assertThat(deltas.users()).extracting(UserTotalsDelta::userId).containsExactly("user-a", "user-b");
        UserTotalsDelta a = deltas.users().get(0);
        assertThat(a.requests()).isEqualTo(3);
        assertThat(a.successful()).isEqualTo(2);
        assertThat(a.failed()).isEqualTo(1);
        assertThat(a.totalTokens()).isEqualTo(13);
        assertThat(a.cost()).isEqualByComparingTo("0.500000000001");
        assertThat(a.firstActivityAt()).isEqualTo(Instant.parse("2025-01-01T01:00:00Z"));
        assertThat(a.lastActivityAt()).isEqualTo(Instant.parse("2025-01-02T00:00:00Z"));

        assertThat(deltas.days()).extracting(d -> d.userId() + "/" + d.usageDate())
                .containsExactly("user-a/2025-01-01", "user-a/2025-01-02", "user-b/2025-01-01");
        DailyUsageDelta firstDay = deltas.days().get(0);
        assertThat(firstDay.requests()).isEqualTo(2);
        assertThat(EventJson.newMapper().readTree(firstDay.models())).isEqualTo(EventJson.newMapper().readTree(
                "{\"m2\":{\"requests\":1,\"tokens\":1,\"cost\":\"0.3\"},"
                        + "\"unknown\":{\"requests\":1,\"tokens\":7,\"cost\":\"0.2\"}}"));
        assertThat(EventJson.newMapper().readTree(firstDay.providers()).path("mock").path("cost").asText())
                .isEqualTo("0.5");
    }

    @Test
    void nothingToAddWithoutUsageEvents() {
        UsageAggregator.UsageDeltas deltas = UsageAggregator.aggregate(List.of(
                event("critical", "user-a", "2025-01-01T01:00:00Z", "m2", "error", 1, "1")));

        assertThat(deltas.users()).isEmpty();
        assertThat(deltas.days()).isEmpty();
    }
}
