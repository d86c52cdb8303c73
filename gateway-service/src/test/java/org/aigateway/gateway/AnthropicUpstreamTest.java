package org.aigateway.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import org.aigateway.gateway.auth.ApiKeyDao;
import org.aigateway.gateway.auth.ApiKeys;
import org.aigateway.support.testing.TestDatabase;
import org.aigateway.support.testing.TestVhost;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.UUID;

import static org.aigateway.gateway.OpenAiErrorAssert.assertOpenAiError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The gateway in front of Anthropic's Messages API, played by a local HTTP server. */
@ExtendWith(DropwizardExtensionsSupport.class)
class AnthropicUpstreamTest {
    // Started before the application, so that its address can go into the configuration.
    private static final FakeAnthropicUpstream UPSTREAM = FakeAnthropicUpstream.start();
    // Both are dropped at JVM exit; an @AfterAll would run before the extension stops the app that uses them.
    private static final TestDatabase DB = TestDatabase.migrated("gateway", GatewayApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("gateway");
    private static final Jdbi JDBI = Jdbi.create(DB::connect)
            .installPlugin(new SqlObjectPlugin())
            .installPlugin(new PostgresPlugin());

    private static final DropwizardAppExtension<GatewayConfiguration> APP = new DropwizardAppExtension<>(
            GatewayApplication.class,
            ResourceHelpers.resourceFilePath("anthropic-gateway.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", VHOST::uri),
            ConfigOverride.config("providers.claude.baseUrl", UPSTREAM::baseUrl));

    /** Prices of claude-test in anthropic-gateway.yml, per million tokens. */
    private static final BigDecimal INPUT = new BigDecimal("3.00");
    private static final BigDecimal CACHE_READ = new BigDecimal("0.30");
    private static final BigDecimal CACHE_WRITE = new BigDecimal("3.75");
    private static final BigDecimal OUTPUT = new BigDecimal("15.00");

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

    @AfterEach
    void noRequestIsLeftPending() {
        long pending = JDBI.withHandle(handle -> handle.createQuery(
                        "SELECT count(*) FROM request_history WHERE status = 'pending'")
                .mapTo(Long.class)
                .one());
        assertThat(pending).isZero();
    }

    @Test
    void answerIsServedInOpenAiShapeAndRecordedWithCacheReadsAndWritesAtTheirPrices() {
        UPSTREAM.willAnswer(200, FakeAnthropicUpstream.message("Bonjour 👋", "end_turn", 1200, 30000, 2000, 450));

        HttpResponse<String> response = client.chat(key, """
                {"model": "claude-test", "messages": [{"role": "system", "content": "Answer in French."},
                                                      {"role": "user", "content": "Hello"}]}""");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = client.json(response);
        assertThat(body.path("object").asText()).isEqualTo("chat.completion");
        assertThat(body.path("choices").get(0).path("message").path("content").asText()).isEqualTo("Bonjour 👋");
        assertThat(body.path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
        assertThat(body.path("usage").path("prompt_tokens").asLong()).isEqualTo(33200);
        assertThat(body.path("usage").path("prompt_tokens_details").path("cached_tokens").asLong()).isEqualTo(30000);

        JsonNode sent = UPSTREAM.onlyRequest().body();
        assertThat(sent.path("model").asText()).isEqualTo("claude-sonnet-4-5");
        assertThat(sent.path("max_tokens").asLong()).isEqualTo(1024);
        assertThat(sent.path("system").get(0).path("text").asText()).isEqualTo("Answer in French.");
        assertThat(sent.path("messages").size()).isEqualTo(1);

        String id = requestId(response);
        Map<String, Object> row = historyRow(id);
        assertThat(row).containsEntry("status", "success")
                .containsEntry("provider", "claude")
                .containsEntry("model", "claude-test")
                .containsEntry("upstream_model", "claude-sonnet-4-5")
                .containsEntry("prompt_tokens", 33200L)
                .containsEntry("cached_tokens", 30000L)
                .containsEntry("cache_creation_tokens", 2000L)
                .containsEntry("completion_tokens", 450L)
                .containsEntry("total_tokens", 33650L);
        BigDecimal expected = BigDecimal.valueOf(1200).multiply(INPUT)
                .add(BigDecimal.valueOf(30000).multiply(CACHE_READ))
                .add(BigDecimal.valueOf(2000).multiply(CACHE_WRITE))
                .add(BigDecimal.valueOf(450).multiply(OUTPUT))
                .divide(BigDecimal.valueOf(1_000_000));
        assertThat(expected).isEqualByComparingTo("0.02685");
        assertThat((BigDecimal) row.get("cost")).isEqualByComparingTo(expected);
        JsonNode record = history(id);
        assertThat(record.path("cache_creation_tokens").asLong()).isEqualTo(2000);
        assertThat(record.path("cost").decimalValue()).isEqualByComparingTo(expected);
    }

    @Test
    void streamedAnswerArrivesAsOpenAiChunksAndIsBilledWithItsCacheTokens() throws Exception {
        UPSTREAM.willAnswer(FakeUpstream.Streamed.events(Duration.ofMillis(10), List.of(
                FakeAnthropicUpstream.event("message_start", """
                        {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
                         "model": "claude-sonnet-4-5", "content": [], "stop_reason": null,
                         "usage": {"input_tokens": 20, "cache_read_input_tokens": 1000,
                                   "cache_creation_input_tokens": 100, "output_tokens": 1}}}"""),
                FakeAnthropicUpstream.event("content_block_start", """
                        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}"""),
                FakeAnthropicUpstream.event("ping", "{\"type\": \"ping\"}"),
                FakeAnthropicUpstream.event("content_block_delta", """
                        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Bon"}}"""),
                FakeAnthropicUpstream.event("content_block_delta", """
                        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "jour"}}"""),
                FakeAnthropicUpstream.event("content_block_stop", "{\"type\": \"content_block_stop\", \"index\": 0}"),
                FakeAnthropicUpstream.event("message_delta", """
                        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null},
                         "usage": {"output_tokens": 7}}"""),
                FakeAnthropicUpstream.event("message_stop", "{\"type\": \"message_stop\"}")),
                FakeUpstream.Ending.FINISH));

        HttpResponse<String> response = client.chat(key, """
                {"model": "claude-test", "stream": true, "stream_options": {"include_usage": true},
                 "messages": [{"role": "user", "content": "Hello"}]}""");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(UPSTREAM.onlyRequest().body().path("stream").asBoolean()).isTrue();
        List<JsonNode> chunks = new ArrayList<>();
        for (String line : response.body().lines().filter(line -> line.startsWith("data: {")).toList()) {
            chunks.add(APP.getObjectMapper().readTree(line.substring(6)));
        }
        assertThat(response.body()).endsWith("data: [DONE]\n\n");
        StringBuilder text = new StringBuilder();
        chunks.forEach(chunk -> chunk.path("choices").forEach(
                choice -> text.append(choice.path("delta").path("content").asText(""))));
        assertThat(text).hasToString("Bonjour");
        assertThat(chunks).anySatisfy(chunk ->
                assertThat(chunk.path("choices").path(0).path("finish_reason").asText()).isEqualTo("stop"));
        JsonNode usage = chunks.get(chunks.size() - 1).path("usage");
        assertThat(usage.path("prompt_tokens").asLong()).isEqualTo(1120);
        assertThat(usage.path("completion_tokens").asLong()).isEqualTo(7);
        assertThat(usage.path("prompt_tokens_details").path("cached_tokens").asLong()).isEqualTo(1000);

        String id = requestId(response);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !"pending".equals(historyRow(id).get("status")));
        Map<String, Object> row = historyRow(id);
        assertThat(row).containsEntry("status", "success").containsEntry("stream", true)
                .containsEntry("prompt_tokens", 1120L).containsEntry("cached_tokens", 1000L)
                .containsEntry("cache_creation_tokens", 100L).containsEntry("completion_tokens", 7L);
        BigDecimal expected = BigDecimal.valueOf(20).multiply(INPUT)
                .add(BigDecimal.valueOf(1000).multiply(CACHE_READ))
                .add(BigDecimal.valueOf(100).multiply(CACHE_WRITE))
                .add(BigDecimal.valueOf(7).multiply(OUTPUT))
                .divide(BigDecimal.valueOf(1_000_000));
        assertThat((BigDecimal) row.get("cost")).isEqualByComparingTo(expected);
    }

    @Test
    void overloadedAnthropicIsServiceUnavailableAndRecordedWithItsOwnStatus() {
        UPSTREAM.willAnswer(529, FakeAnthropicUpstream.error("overloaded_error", "Overloaded"));

        HttpResponse<String> response = client.chat(key, """
                {"model": "claude-test", "messages": [{"role": "user", "content": "Hello"}]}""");

        JsonNode error = assertOpenAiError(client, response, 503);
        assertThat(error.path("message").asText()).isEqualTo("Overloaded");
        assertThat(error.path("code").asText()).isEqualTo("overloaded_error");
        Map<String, Object> row = historyRow(requestId(response));
        assertThat(row).containsEntry("status", "error")
                .containsEntry("upstream_status", 529)
                .containsEntry("http_status", 503)
                .containsEntry("error_message", "Overloaded");
    }

    @Test
    void requestTheMessagesApiCannotExpressIsABadRequestThatNeverLeaves() {
        UPSTREAM.willAnswer(200, FakeAnthropicUpstream.message("Hi", "end_turn", 1, 0, 0, 1));

        HttpResponse<String> response = client.chat(key, """
                {"model": "claude-test", "n": 2, "messages": [{"role": "user", "content": "Hello"}]}""");

        JsonNode error = assertOpenAiError(client, response, 400);
        assertThat(error.path("param").asText()).isEqualTo("n");
        assertThat(UPSTREAM.received()).isEmpty();
        assertThat(historyRow(requestId(response))).containsEntry("status", "error").containsEntry("http_status", 400);
    }

    private static String requestId(HttpResponse<String> response) {
        return response.headers().firstValue("X-Request-Id")
                .orElseThrow(() -> new AssertionError("no X-Request-Id on " + response.statusCode() + " "
                        + response.body()));
    }

    private static JsonNode history(String id) {
        HttpResponse<String> response = client.history(key, id);
        assertThat(response.statusCode()).as("history of %s: %s", id, response.body()).isEqualTo(200);
        return client.json(response);
    }

    private static Map<String, Object> historyRow(String id) {
        return JDBI.withHandle(handle -> handle.createQuery("SELECT * FROM request_history WHERE id = :id")
                .bind("id", UUID.fromString(id))
                .mapToMap()
                .one());
    }
}
