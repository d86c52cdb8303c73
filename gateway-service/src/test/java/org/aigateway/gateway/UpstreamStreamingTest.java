package org.aigateway.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import org.aigateway.gateway.FakeUpstream.Ending;
import org.aigateway.gateway.FakeUpstream.Streamed;
import org.aigateway.gateway.auth.ApiKeyDao;
import org.aigateway.gateway.auth.ApiKeys;
import org.aigateway.support.testing.TestDatabase;
import org.aigateway.support.testing.TestVhost;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Streams through the gateway from an OpenAI-compatible upstream, played by a local HTTP server speaking SSE. */
@ExtendWith(DropwizardExtensionsSupport.class)
class UpstreamStreamingTest {
    private static final FakeOpenAiUpstream UPSTREAM = FakeOpenAiUpstream.start();
    private static final TestDatabase DB = TestDatabase.migrated("gateway", GatewayApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("gateway");
    private static final Jdbi JDBI = Jdbi.create(DB::connect)
            .installPlugin(new SqlObjectPlugin())
            .installPlugin(new PostgresPlugin());
    private static final PublishedEvents EVENTS = new PublishedEvents(JDBI, VHOST);

    private static final DropwizardAppExtension<GatewayConfiguration> APP = new DropwizardAppExtension<>(
            GatewayApplication.class,
            ResourceHelpers.resourceFilePath("test-streaming.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", VHOST::uri),
            ConfigOverride.config("providers.upstream.baseUrl", UPSTREAM::baseUrl),
            ConfigOverride.config("providers.upstream.readTimeout", "5s"));

    private static final String REQUEST = """
            {"model": "remote-1", "stream": true, "messages": [{"role": "user", "content": "Tell me a story"}]}""";

    private static GatewayClient client;
    private static String key;

    @BeforeAll
    static void createKey() {
        client = new GatewayClient(APP::getLocalPort, APP.getObjectMapper());
        key = new ApiKeys(JDBI.onDemand(ApiKeyDao.class)).create("dora", null, false).plaintext();
    }

    @AfterAll
    static void stopUpstream() {
        UPSTREAM.close();
    }

    @Test
    void upstreamChunksArePassedOnAndItsUsageIsBilledExactly() {
        UPSTREAM.willAnswer(Streamed.events(Duration.ofMillis(20), FakeOpenAiUpstream.sse(List.of(
                chunk("{\"role\":\"assistant\",\"content\":\"\"}", null, "null"),
                chunk("{\"content\":\"Once\"}", null, "null"),
                chunk("{\"content\":\" upon\"}", null, "null"),
                chunk("{\"content\":\" a time\"}", null, "null"),
                chunk("{}", "\"stop\"", "null"),
                "{\"id\":\"chatcmpl-up\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"upstream-model-x\","
                        + "\"choices\":[],\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":20,"
                        + "\"total_tokens\":120,\"prompt_tokens_details\":{\"cached_tokens\":40}}}")),
                Ending.FINISH));

        HttpResponse<String> response = client.chat(key, REQUEST);

        assertThat(response.statusCode()).isEqualTo(200);
        List<String> data = response.body().lines().filter(line -> line.startsWith("data: "))
                .map(line -> line.substring(6)).toList();
        assertThat(data).hasSize(6).endsWith("[DONE]");
        assertThat(data.subList(0, 5)).allSatisfy(event -> assertThat(event).doesNotContain("usage"));
        JsonNode upstreamRequest = UPSTREAM.onlyRequest().body();
        assertThat(upstreamRequest.path("model").asText()).isEqualTo("upstream-model-x");
        assertThat(upstreamRequest.path("stream").asBoolean()).isTrue();
        assertThat(upstreamRequest.path("stream_options").path("include_usage").asBoolean()).isTrue();

        Map<String, Object> row = awaitClosed(response.headers().firstValue("X-Request-Id").orElseThrow());
        assertThat(row).containsEntry("status", "success").containsEntry("prompt_tokens", 100L)
                .containsEntry("completion_tokens", 20L).containsEntry("cached_tokens", 40L)
                .containsEntry("upstream_status", 200);
        // 60 uncached × 0.15 + 40 cached × 0.075 + 20 × 0.60, per million tokens.
        assertThat((BigDecimal) row.get("cost")).isEqualByComparingTo("0.000024");
        assertThat((String) row.get("response_text")).contains("Once upon a time");
    }

    @Test
    void brokenUpstreamStreamEndsWithAnErrorEventAndIsRecordedWithItsPartialUsage() throws IOException {
        UPSTREAM.willAnswer(Streamed.events(Duration.ofMillis(20), List.of(
                "data: " + chunk("{\"role\":\"assistant\",\"content\":\"\"}", null, "null") + "\n\n",
                "data: " + chunk("{\"content\":\"Once\"}", null, "null") + "\n\n",
                "data: " + chunk("{\"content\":\" upon\"}", null, "null") + "\n\n"), Ending.DROP));

        HttpResponse<String> response = client.chat(key, REQUEST);

        assertThat(response.statusCode()).isEqualTo(200);
        List<String> data = response.body().lines().filter(line -> line.startsWith("data: ")).toList();
        assertThat(data).doesNotContain("data: [DONE]");
        JsonNode error = APP.getObjectMapper().readTree(data.get(data.size() - 1).substring(6)).path("error");
        assertThat(error.path("message").asText()).isNotBlank();
        assertThat(error.path("type").asText()).isEqualTo("api_error");

        Map<String, Object> row = awaitClosed(response.headers().firstValue("X-Request-Id").orElseThrow());
        assertThat(row).containsEntry("status", "error").containsEntry("completion_tokens", 2L);
        assertThat((Long) row.get("prompt_tokens")).isPositive();
        assertThat((BigDecimal) row.get("cost")).isPositive();
        assertThat((String) row.get("error_message")).contains("stream broken after 2 content chunks; tokens estimated");
        assertThat((Integer) row.get("http_status")).isGreaterThanOrEqualTo(500);
        assertThat(eventNames(row.get("id").toString())).contains("chat_completion_error", "upstream_error");
    }

    @Test
    void clientThatLeavesStopsTheUpstream() throws Exception {
        List<String> events = new ArrayList<>();
        events.add("data: " + chunk("{\"role\":\"assistant\",\"content\":\"\"}", null, "null") + "\n\n");
        for (int i = 0; i < 40; i++) {
            events.add("data: " + chunk("{\"content\":\" word" + i + "\"}", null, "null") + "\n\n");
        }
        UPSTREAM.willAnswer(Streamed.events(Duration.ofMillis(100), events, Ending.FINISH));

        HttpResponse<InputStream> response = client.sendForStream(client.request("/v1/chat/completions")
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString(REQUEST)));
        String historyId = response.headers().firstValue("X-Request-Id").orElseThrow();
        try (InputStream body = response.body()) {
            byte[] some = new byte[64];
            assertThat(body.read(some)).isPositive();
        }

        Map<String, Object> row = awaitClosed(historyId);
        assertThat(row).containsEntry("status", "cancelled");
        assertThat((Long) row.get("completion_tokens")).isLessThan(40L);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(UPSTREAM.hangUps()).isOne());
    }

    private static String chunk(String delta, String finishReason, String usage) {
        return "{\"id\":\"chatcmpl-up\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"upstream-model-x\","
                + "\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":" + finishReason + "}],"
                + "\"usage\":" + usage + "}";
    }

    private static Map<String, Object> awaitClosed(String historyId) {
        await().atMost(Duration.ofSeconds(20)).until(() -> !"pending".equals(row(historyId).get("status")));
        return row(historyId);
    }

    private static Map<String, Object> row(String historyId) {
        return JDBI.withHandle(handle -> handle.createQuery(
                        "SELECT *, response_data::text AS response_text FROM request_history WHERE id = :id")
                .bind("id", UUID.fromString(historyId)).mapToMap().one());
    }

    private static List<String> eventNames(String historyId) {
        return EVENTS.about(historyId).stream().map(event -> event.path("eventName").asText()).toList();
    }
}
