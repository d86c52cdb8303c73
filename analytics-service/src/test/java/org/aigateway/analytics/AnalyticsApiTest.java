package org.aigateway.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import jakarta.ws.rs.client.Invocation;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.aigateway.analytics.events.IncomingEvent;
import org.aigateway.analytics.events.IngestDao;
import org.aigateway.contracts.EventJson;
import org.aigateway.contracts.UsageEvent;
import org.aigateway.support.testing.TestDatabase;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The REST API over data stored the way the consumer stores it; the broker plays no part in reading. */
@ExtendWith(DropwizardExtensionsSupport.class)
class AnalyticsApiTest {
    private static final TestDatabase DB = TestDatabase.migrated("analytics", AnalyticsApplication.CHANGELOG);
    private static final DropwizardAppExtension<AnalyticsConfiguration> APP = new DropwizardAppExtension<>(
            AnalyticsApplication.class,
            ResourceHelpers.resourceFilePath("test-analytics.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", "amqp://guest:guest@127.0.0.1:" + closedPort() + "/%2f"),
            ConfigOverride.config("logging.level", "ERROR"));

    @BeforeAll
    static void seed() {
        Jdbi jdbi = Jdbi.create(DB::connect).installPlugin(new SqlObjectPlugin()).installPlugin(new PostgresPlugin());
        Instant day1 = Instant.parse("2025-04-01T08:00:00Z");
        Instant day2 = Instant.parse("2025-04-02T08:00:00Z");
        List<UsageEvent> events = new ArrayList<>(List.of(
                TestEvents.aiRequest("api-user", day1, "mock", "mock-1", "success", 100, 50,
                        new BigDecimal("0.1"), 100),
                TestEvents.aiRequest("api-user", day1.plusSeconds(60), "openai", "gpt-x", "error", 10, 0,
                        new BigDecimal("0.000000000003"), 300),
                TestEvents.aiRequest("api-user", day2, "mock", "mock-1", "success", 200, 100,
                        new BigDecimal("0.2"), 200),
                TestEvents.aiRequest("other-user", day2, "mock", "mock-2", "success", 1, 1,
                        new BigDecimal("1"), 10),
                TestEvents.critical("api-user", day2)));
        for (int ms = 1; ms <= 100; ms++) {
            events.add(TestEvents.performance("perf-user", day1.plusSeconds(ms), "mock", "mock-1", ms, 10));
        }
        for (int i = 0; i < 5; i++) {
            events.add(TestEvents.aiRequest("page-user", day1.plusSeconds(i), "mock", "mock-1", "success", 1, 1,
                    BigDecimal.ZERO, 1));
        }
        new IngestDao(jdbi).ingest(events.stream()
                .map(e -> new IncomingEvent(e, EventJson.newMapper().valueToTree(e.properties()),
                        EventJson.newMapper().createObjectNode()))
                .toList());
    }

    @Test
    void userSummaryHasExactSumsAndDerivedAverages() {
        JsonNode user = ok(api("/v1/analytics/users/api-user"));

        assertThat(user.path("totalRequests").asLong()).isEqualTo(3);
        assertThat(user.path("successfulRequests").asLong()).isEqualTo(2);
        assertThat(user.path("failedRequests").asLong()).isEqualTo(1);
        assertThat(user.path("successRate").decimalValue()).isEqualByComparingTo("0.6667");
        assertThat(user.path("totalTokens").asLong()).isEqualTo(460);
        assertThat(user.path("totalCost").toString()).isEqualTo("0.300000000003");
        assertThat(user.path("averageCostPerRequest").toString()).isEqualTo("0.100000000001");
        assertThat(user.path("averageResponseTimeMs").decimalValue()).isEqualByComparingTo("200");
        assertThat(user.path("firstActivityAt").asText()).isEqualTo("2025-04-01T08:00:00Z");
        assertThat(user.path("lastActivityAt").asText()).isEqualTo("2025-04-02T08:00:00Z");
    }

    @Test
    void moneyIsWrittenAsPlainDecimals() {
        String body = api("/v1/analytics/users/api-user/usage?from=2025-04-01&to=2025-04-01").get(String.class);

        assertThat(body).contains("\"cost\":0.000000000003").doesNotContain("E-");
    }

    @Test
    void unknownUserIs404() {
        Response response = api("/v1/analytics/users/nobody").get();

        assertThat(response.getStatus()).isEqualTo(404);
        assertThat(json(response).path("error").path("code").asText()).isEqualTo("not_found");
    }

    @Test
    void userUsageListsDaysWithModelAndProviderBreakdowns() {
        JsonNode usage = ok(api("/v1/analytics/users/api-user/usage?from=2025-04-01&to=2025-04-30"));

        JsonNode days = usage.path("days");
        assertThat(days).hasSize(2);
        assertThat(days.get(0).path("date").asText()).isEqualTo("2025-04-01");
        assertThat(days.get(0).path("totalRequests").asLong()).isEqualTo(2);
        assertThat(days.get(0).path("totalCost").toString()).isEqualTo("0.100000000003");
        assertThat(days.get(0).path("models").path("gpt-x").path("cost").decimalValue().toPlainString())
                .isEqualTo("0.000000000003");
        assertThat(days.get(0).path("providers").path("mock").path("tokens").asLong()).isEqualTo(150);
        assertThat(days.get(1).path("models").path("mock-1").path("requests").asLong()).isEqualTo(1);
    }

    @Test
    void usageIsGroupedByDayModelProviderAndUser() {
        String range = "from=2025-04-01&to=2025-04-02";
        JsonNode byDay = ok(api("/v1/analytics/usage?" + range + "&groupBy=day"));
        JsonNode byModel = ok(api("/v1/analytics/usage?" + range + "&groupBy=model"));
        JsonNode byProvider = ok(api("/v1/analytics/usage?" + range + "&groupBy=provider"));
        JsonNode byUser = ok(api("/v1/analytics/usage?" + range + "&groupBy=user"));

        for (JsonNode report : List.of(byDay, byModel, byProvider, byUser)) {
            assertThat(report.path("totals").path("requests").asLong()).isEqualTo(9);
            assertThat(report.path("totals").path("cost").toString()).isEqualTo("1.300000000003");
        }
        assertThat(keys(byDay)).containsExactly("2025-04-01", "2025-04-02");
        assertThat(keys(byModel)).containsExactly("gpt-x", "mock-1", "mock-2");
        assertThat(keys(byProvider)).containsExactly("mock", "openai");
        assertThat(keys(byUser)).containsExactly("api-user", "other-user", "page-user");
        assertThat(byUser.path("rows").get(0).path("failedRequests").asLong()).isEqualTo(1);
    }

    @Test
    void performanceHasPercentilesPerModel() {
        JsonNode report = ok(api("/v1/analytics/performance?from=2025-04-01&to=2025-04-01&groupBy=model"));

        JsonNode row = report.path("rows").get(0);
        assertThat(row.path("key").asText()).isEqualTo("mock-1");
        assertThat(row.path("count").asLong()).isEqualTo(100);
        assertThat(row.path("p50Ms").asDouble()).isEqualTo(50.5);
        assertThat(row.path("p95Ms").asDouble()).isEqualTo(95.05);
        assertThat(row.path("p99Ms").asDouble()).isEqualTo(99.01);
        assertThat(row.path("meanTimeToFirstTokenMs").asDouble()).isEqualTo(10.0);
        assertThat(ok(api("/v1/analytics/performance?from=2025-04-01&to=2025-04-01&groupBy=hour"))
                .path("rows").get(0).path("key").asText()).isEqualTo("2025-04-01T08:00:00Z");
    }

    @Test
    void eventsArePagedByCursorWithoutOverlap() {
        Set<String> seen = new HashSet<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonNode page = ok(api("/v1/analytics/events?userId=page-user&limit=2"
                    + (cursor == null ? "" : "&cursor=" + cursor)));
            page.path("data").forEach(event -> assertThat(seen.add(event.path("eventId").asText())).isTrue());
            cursor = page.path("nextCursor").isNull() ? null : page.path("nextCursor").asText();
            pages++;
        } while (cursor != null);

        assertThat(seen).hasSize(5);
        assertThat(pages).isEqualTo(3);
        JsonNode critical = ok(api("/v1/analytics/events?eventType=critical"));
        assertThat(critical.path("data")).hasSize(1);
        assertThat(critical.path("data").get(0).path("properties").path("errorMessage").asText())
                .isEqualTo("upstream failed");
    }

    @Test
    void badParametersGet400InOpenAiShape() {
        Map<String, String> paramByUrl = Map.of(
                "/v1/analytics/usage?from=yesterday", "from",
                "/v1/analytics/usage?groupBy=week", "groupBy",
                "/v1/analytics/usage?from=2025-05-02&to=2025-05-01", "from",
                "/v1/analytics/users/api-user/usage?to=2025-13-01", "to",
                "/v1/analytics/performance?groupBy=user", "groupBy",
                "/v1/analytics/events?limit=0", "limit",
                "/v1/analytics/events?cursor=bm90LWEtY3Vyc29y", "cursor");
        paramByUrl.forEach((url, param) -> {
            Response response = api(url).get();
            assertThat(response.getStatus()).as(url).isEqualTo(400);
            JsonNode error = json(response).path("error");
            assertThat(error.path("type").asText()).as(url).isEqualTo("invalid_request_error");
            assertThat(error.path("param").asText()).as(url).isEqualTo(param);
            assertThat(error.path("message").asText()).as(url).isNotBlank();
        });
    }

    @Test
    void everyEndpointNeedsTheToken() {
        for (String path : List.of("/v1/analytics/users/api-user", "/v1/analytics/users/api-user/usage",
                "/v1/analytics/usage", "/v1/analytics/performance", "/v1/analytics/events")) {
            Response response = APP.client().target("http://localhost:" + APP.getLocalPort() + path).request().get();
            assertThat(response.getStatus()).as(path).isEqualTo(401);
            assertThat(json(response).path("error").path("code").asText()).isEqualTo("invalid_api_key");
        }
    }

    @Test
    void requestsJettyRefusesGetOpenAiErrorsToo() throws Exception {
        String token = APP.getConfiguration().getApiToken();
        Map<String, Integer> statusByRequest = Map.of(
                "GET /v1/analytics/usage HTTP/1.1\r\nAuthorization: Bearer " + token + "\u0001\r\n", 400,
                "GET /v1/analytics/usage HTTP/1.1\r\nX-Padding: " + "p".repeat(20_000) + "\r\n", 431,
                "GET /v1/analytics/users/a%2Fb HTTP/1.1\r\n", 400,
                "GET /v1/analytics/events?cursor=" + "c".repeat(20_000) + " HTTP/1.1\r\n", 414,
                "TRACE /v1/analytics/usage HTTP/1.1\r\n", 405);
        for (Map.Entry<String, Integer> request : statusByRequest.entrySet()) {
            String answer = exchange(request.getKey() + "Host: x\r\nConnection: close\r\n\r\n");
            String what = request.getKey().substring(0, Math.min(60, request.getKey().length()));
            assertThat(answer).as(what).startsWith("HTTP/1.1 " + request.getValue() + " ");
            assertThat(answer.lines().anyMatch(l -> l.equalsIgnoreCase("Content-Type: application/json"))).as(what).isTrue();
            JsonNode error = APP.getObjectMapper().readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4)).path("error");
            List<String> fields = new ArrayList<>();
            error.fieldNames().forEachRemaining(fields::add);
            assertThat(fields).as(what).containsExactlyInAnyOrder("message", "type", "param", "code");
            assertThat(answer).as(what).doesNotContain(token, "<html", "Exception");
        }
    }

    /** One raw HTTP/1.1 exchange, for requests no client library sends. */
    private static String exchange(String request) throws IOException {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", APP.getLocalPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private static List<String> keys(JsonNode report) {
        List<String> keys = new ArrayList<>();
        report.path("rows").forEach(row -> keys.add(row.path("key").asText()));
        return keys;
    }

    private static Invocation.Builder api(String pathAndQuery) {
        return APP.client().target("http://localhost:" + APP.getLocalPort() + pathAndQuery).request()
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + APP.getConfiguration().getApiToken());
    }

    private static JsonNode ok(Invocation.Builder request) {
        Response response = request.get();
        JsonNode body = json(response);
        assertThat(response.getStatus()).as(body.toString()).isEqualTo(200);
        return body;
    }

    private static JsonNode json(Response response) {
        try {
            return APP.getObjectMapper().readTree(response.readEntity(String.class));
        } catch (Exception e) {
            throw new AssertionError("response is not JSON", e);
        }
    }

    private static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free local port", e);
        }
    }
}
