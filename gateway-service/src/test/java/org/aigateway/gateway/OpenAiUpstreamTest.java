package org.aigateway.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import org.aigateway.gateway.FakeUpstream.Reply;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.aigateway.gateway.OpenAiErrorAssert.assertOpenAiError;
import static org.assertj.core.api.Assertions.assertThat;

/** The gateway in front of an OpenAI-compatible upstream, played by a local HTTP server. */
@ExtendWith(DropwizardExtensionsSupport.class)
class OpenAiUpstreamTest {
    // Started before the application, so that its address can go into the configuration.
    private static final FakeOpenAiUpstream UPSTREAM = FakeOpenAiUpstream.start();
    // Both are dropped at JVM exit; an @AfterAll would run before the extension stops the app that uses them.
    private static final TestDatabase DB = TestDatabase.migrated("gateway", GatewayApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("gateway");
    private static final Jdbi JDBI = Jdbi.create(DB::connect)
            .installPlugin(new SqlObjectPlugin())
            .installPlugin(new PostgresPlugin());

    private static final DropwizardAppExtension<GatewayConfiguration> APP = new DropwizardAppExtension<>(
            GatewayApplication.class,
            ResourceHelpers.resourceFilePath("test-gateway.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", VHOST::uri),
            ConfigOverride.config("providers.upstream.baseUrl", UPSTREAM::baseUrl));

    /** Prices of remote-1 in test-gateway.yml, per million tokens. */
    private static final BigDecimal INPUT = new BigDecimal("0.15");
    private static final BigDecimal CACHED_INPUT = new BigDecimal("0.075");
    private static final BigDecimal OUTPUT = new BigDecimal("0.60");

    private static final String REMOTE_REQUEST = """
            {"model": "remote-1", "messages": [{"role": "user", "content": "hi"}]}""";

    private static GatewayClient client;
    private static String key;

    @BeforeAll
    static void createKey() {
        client = new GatewayClient(APP::getLocalPort, APP.getObjectMapper());
        key = new ApiKeys(JDBI.onDemand(ApiKeyDao.class)).create("carol", null, false).plaintext();
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
    void requestGoesUpstreamUnderTheUpstreamModelNameWithUnknownFieldsIntact() {
        UPSTREAM.willAnswer(200, completion(12, 0, 5));

        HttpResponse<String> response = client.chat(key, """
                {"model": "remote-1", "foo_bar": {"x": 1}, "seed": 7, "user": "end-user-9",
                 "response_format": {"type": "json_object"},
                 "messages": [{"role": "user", "content": "Grüße 👋 \\"quoted\\""}]}""");

        assertThat(response.statusCode()).isEqualTo(200);
        FakeOpenAiUpstream.Received sent = UPSTREAM.onlyRequest();
        assertThat(sent.body().path("model").asText()).isEqualTo("upstream-model-x");
        assertThat(sent.body().path("foo_bar").path("x").asInt()).isEqualTo(1);
        assertThat(sent.body().path("seed").asInt()).isEqualTo(7);
        assertThat(sent.body().path("user").asText()).isEqualTo("end-user-9");
        assertThat(sent.body().path("response_format").path("type").asText()).isEqualTo("json_object");
        assertThat(sent.body().path("messages").get(0).path("content").asText()).isEqualTo("Grüße 👋 \"quoted\"");
        assertThat(sent.headers().get("content-type")).containsExactly("application/json");
        // No upstream key is configured in the test, and the client's own key must never travel upstream.
        assertThat(sent.headers()).doesNotContainKey("authorization");
        assertThat(sent.headers().toString()).doesNotContain(key, key.substring(14));
        assertThat(client.json(response).path("id").asText()).isEqualTo("chatcmpl-upstream-1");
        assertThat(client.json(response).path("model").asText()).isEqualTo("upstream-model-x-2024");
        assertThat(client.json(response).path("choices").get(0).path("message").path("content").asText())
                .isEqualTo("Hallo 👋");
    }

    @Test
    void usageWithCachedTokensIsRecordedAtTheExactPrice() {
        UPSTREAM.willAnswer(200, completion(1234, 1000, 567));

        HttpResponse<String> response = client.chat(key, REMOTE_REQUEST);

        assertThat(response.statusCode()).isEqualTo(200);
        String id = requestId(response);
        JsonNode record = history(id);
        assertThat(record.path("status").asText()).isEqualTo("success");
        assertThat(record.path("provider").asText()).isEqualTo("upstream");
        assertThat(record.path("model").asText()).isEqualTo("remote-1");
        assertThat(record.path("upstream_model").asText()).isEqualTo("upstream-model-x");
        assertThat(record.path("upstream_status").asInt()).isEqualTo(200);
        assertThat(record.path("prompt_tokens").asLong()).isEqualTo(1234);
        assertThat(record.path("cached_tokens").asLong()).isEqualTo(1000);
        assertThat(record.path("completion_tokens").asLong()).isEqualTo(567);
        assertThat(record.path("total_tokens").asLong()).isEqualTo(1801);
        BigDecimal expected = BigDecimal.valueOf(1234 - 1000).multiply(INPUT)
                .add(BigDecimal.valueOf(1000).multiply(CACHED_INPUT))
                .add(BigDecimal.valueOf(567).multiply(OUTPUT))
                .divide(BigDecimal.valueOf(1_000_000));
        assertThat(expected).isEqualByComparingTo("0.0004503");
        assertThat(record.path("cost").decimalValue()).isEqualByComparingTo(expected);
        assertThat((BigDecimal) historyRow(id).get("cost")).isEqualByComparingTo(expected);
        assertThat(record.path("response").path("usage").path("prompt_tokens_details").path("cached_tokens").asLong())
                .isEqualTo(1000);
    }

    @Test
    void completionContainingNulCharactersIsServedAndRecorded() {
        UPSTREAM.willAnswer(200, completion(3, 0, 2).replace("Hallo 👋", "nul\\u0000here"));

        HttpResponse<String> response = client.chat(key, REMOTE_REQUEST);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(client.json(response).path("choices").get(0).path("message").path("content").asText())
                .isEqualTo("nul\u0000here");
        JsonNode record = history(requestId(response));
        assertThat(record.path("status").asText()).isEqualTo("success");
        assertThat(record.path("response").path("choices").get(0).path("message").path("content").asText())
                .isEqualTo("nul\ufffdhere");
    }

    @Test
    void upstreamBadRequestIsPassedOnWithItsMessage() {
        UPSTREAM.willAnswer(400, """
                {"error": {"message": "Invalid 'messages[0].content': string too long.",
                           "type": "invalid_request_error", "param": "messages[0].content",
                           "code": "string_above_max_length"}}""");

        HttpResponse<String> response = client.chat(key, REMOTE_REQUEST);

        JsonNode error = assertOpenAiError(client, response, 400);
        assertThat(error.path("message").asText()).isEqualTo("Invalid 'messages[0].content': string too long.");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("param").asText()).isEqualTo("messages[0].content");
        assertThat(error.path("code").asText()).isEqualTo("string_above_max_length");
        JsonNode record = assertRecordedAsError(response, 400, 400);
        assertThat(record.path("error_message").asText()).isEqualTo("Invalid 'messages[0].content': string too long.");
    }

    @ParameterizedTest
    @ValueSource(ints = {500, 503})
    void upstreamServerErrorStatusIsPassedOn(int status) {
        UPSTREAM.willAnswer(status, """
                {"error": {"message": "The engine is currently overloaded, please try again later.",
                           "type": "server_error", "param": null, "code": null}}""");

        HttpResponse<String> response = client.chat(key, REMOTE_REQUEST);

        JsonNode error = assertOpenAiError(client, response, status);
        assertThat(error.path("message").asText()).contains("overloaded");
        JsonNode record = assertRecordedAsError(response, status, status);
        assertThat(record.path("error_message").asText()).contains("overloaded");
    }

    @Test
    void upstreamServerErrorWithoutJsonStillAnswersInOpenAiShape() {
        UPSTREAM.willAnswer(new Reply(502, "text/html", "<html><body>Bad Gateway</body></html>", Duration.ZERO,
                Map.of()));

        HttpResponse<String> response = client.chat(key, REMOTE_REQUEST);

        JsonNode error = assertOpenAiError(client, response, 502);
        assertThat(error.path("type").asText()).isEqualTo("api_error");
        assertThat(response.body()).doesNotContain("<html>");
        assertRecordedAsError(response, 502, 502);
    }

    @ParameterizedTest
    @ValueSource(ints = {401, 403})
    void upstreamRefusingTheGatewaysCredentialsIsABadGateway(int status) {
        UPSTREAM.willAnswer(status, """
                {"error": {"message": "Incorrect API key provided: sk-proj-upstreamsecret123. You can find your key...",
                           "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}""");

        HttpResponse<String> response = client.chat(key, REMOTE_REQUEST);

        JsonNode error = assertOpenAiError(client, response, 502);
        assertThat(error.path("code").asText()).isEqualTo("upstream_auth_failed");
        assertThat(response.body()).doesNotContain("sk-proj-upstreamsecret123", "invalid_api_key");
        JsonNode record = assertRecordedAsError(response, status, 502);
        assertThat(record.path("error_message").asText()).doesNotContain("sk-proj-upstreamsecret123");
    }

    @Test
    void upstreamSlowerThanTheReadTimeoutIsAGatewayTimeout() {
        UPSTREAM.willAnswer(new Reply(200, "application/json", completion(1, 0, 1), Duration.ofSeconds(4), Map.of()));
        long started = System.nanoTime();

        HttpResponse<String> response = client.chat(key, REMOTE_REQUEST);

        Duration waited = Duration.ofNanos(System.nanoTime() - started);
        JsonNode error = assertOpenAiError(client, response, 504);
        assertThat(error.path("code").asText()).isEqualTo("upstream_timeout");
        // readTimeout is 1s: the gateway must give up long before the upstream would have answered.
        assertThat(waited).isLessThan(Duration.ofMillis(3500));
        JsonNode record = assertRecordedAsError(response, null, 504);
        assertThat(record.path("response_time_ms").asLong()).isGreaterThanOrEqualTo(900);
    }

    @Test
    void successStatusWithABodyThatIsNotJsonIsABadGateway() {
        UPSTREAM.willAnswer(new Reply(200, "text/plain", "everything is fine", Duration.ZERO, Map.of()));

        HttpResponse<String> response = client.chat(key, REMOTE_REQUEST);

        JsonNode error = assertOpenAiError(client, response, 502);
        assertThat(error.path("code").asText()).isEqualTo("upstream_invalid_response");
        assertRecordedAsError(response, 200, 502);
    }

    @Test
    void successStatusWithJsonThatIsNoCompletionIsABadGateway() {
        UPSTREAM.willAnswer(200, "{\"object\": \"list\", \"data\": []}");

        HttpResponse<String> response = client.chat(key, REMOTE_REQUEST);

        JsonNode error = assertOpenAiError(client, response, 502);
        assertThat(error.path("code").asText()).isEqualTo("upstream_invalid_response");
        assertRecordedAsError(response, 200, 502);
    }

    @Test
    void redirectIsNotFollowed() {
        // Followed, the redirect would come straight back here as a second request.
        UPSTREAM.willAnswer(new Reply(307, "application/json", "", Duration.ZERO,
                Map.of("Location", UPSTREAM.baseUrl() + "/chat/completions")));

        HttpResponse<String> response = client.chat(key, REMOTE_REQUEST);

        JsonNode error = assertOpenAiError(client, response, 502);
        assertThat(error.path("type").asText()).isEqualTo("api_error");
        assertThat(UPSTREAM.received()).hasSize(1);
        assertRecordedAsError(response, 307, 502);
    }

    /** Asserts the response's X-Request-Id leads to a closed error row with these statuses; returns the record. */
    private static JsonNode assertRecordedAsError(HttpResponse<String> response, Integer upstreamStatus,
                                                  int httpStatus) {
        String id = requestId(response);
        JsonNode record = history(id);
        assertThat(record.path("status").asText()).isEqualTo("error");
        assertThat(record.path("http_status").asInt()).isEqualTo(httpStatus);
        if (upstreamStatus == null) {
            assertThat(record.path("upstream_status").isNull()).as("upstreamStatus of %s", record).isTrue();
        } else {
            assertThat(record.path("upstream_status").asInt()).isEqualTo(upstreamStatus);
        }
        assertThat(record.path("error_message").asText()).isNotBlank()
                .isEqualTo(client.json(response).path("error").path("message").asText());
        assertThat(record.path("completed_at").isNull()).isFalse();
        assertThat(record.path("prompt_tokens").asLong()).isZero();
        assertThat(record.path("cost").decimalValue()).isEqualByComparingTo(BigDecimal.ZERO);
        assertThat(record.path("response").isNull()).isTrue();
        assertThat(historyRow(id)).containsEntry("user_id", "carol").containsEntry("status", "error");
        return record;
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

    /** A chat.completion as OpenAI sends it, with the given usage. */
    private static String completion(long promptTokens, long cachedTokens, long completionTokens) {
        return """
                {"id": "chatcmpl-upstream-1", "object": "chat.completion", "created": 1735689600,
                 "model": "upstream-model-x-2024",
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hallo 👋", "refusal": null},
                              "logprobs": null, "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": %d, "completion_tokens": %d, "total_tokens": %d,
                           "prompt_tokens_details": {"cached_tokens": %d, "audio_tokens": 0},
                           "completion_tokens_details": {"reasoning_tokens": 0}},
                 "system_fingerprint": "fp_test"}""".formatted(promptTokens, completionTokens,
                promptTokens + completionTokens, cachedTokens);
    }
}
