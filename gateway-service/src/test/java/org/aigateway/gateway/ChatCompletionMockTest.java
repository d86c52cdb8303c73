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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.aigateway.gateway.OpenAiErrorAssert.assertOpenAiError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Chat completions against the built-in mock provider, with real PostgreSQL history and a real RabbitMQ vhost. */
@ExtendWith(DropwizardExtensionsSupport.class)
class ChatCompletionMockTest {
    // Installed before the application starts, so every log line of this class's gateway is seen.
    private static final StderrCapture STDERR = StderrCapture.install();
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
            // Nothing listens there, so remote-1 exercises an unreachable upstream.
            ConfigOverride.config("providers.upstream.baseUrl", "http://127.0.0.1:" + closedPort() + "/v1"));

    private static final String HELLO = """
            {"model": "mock-1", "messages": [{"role": "user", "content": "Hello there"}]}""";
    private static final BigDecimal INPUT_PRICE = new BigDecimal("1.00");
    private static final BigDecimal OUTPUT_PRICE = new BigDecimal("2.00");
    private static final int MAX_BODY_BYTES = 64 * 1024;

    private static GatewayClient client;
    private static ApiKeys.Issued alice;
    private static String bob;
    private static String admin;

    @BeforeAll
    static void createKeys() {
        client = new GatewayClient(APP::getLocalPort, APP.getObjectMapper());
        ApiKeys keys = new ApiKeys(JDBI.onDemand(ApiKeyDao.class));
        alice = keys.create("alice", "alice's laptop", false);
        bob = keys.create("bob", null, false).plaintext();
        admin = keys.create("ops", "operator", true).plaintext();
    }

    @AfterAll
    static void restoreStderr() {
        STDERR.close();
    }

    @Test
    void completionHasOpenAiShapeAndRequestId() {
        HttpResponse<String> response = client.chat(alice.plaintext(), HELLO);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        assertThat(response.headers().firstValue("X-Request-Id")).hasValueSatisfying(
                id -> assertThat(UUID.fromString(id)).hasToString(id));
        JsonNode body = client.json(response);
        assertThat(body.path("id").asText()).startsWith("chatcmpl-");
        assertThat(body.path("object").asText()).isEqualTo("chat.completion");
        assertThat(body.path("created").isIntegralNumber()).isTrue();
        assertThat(Instant.ofEpochSecond(body.path("created").asLong()))
                .isBetween(Instant.now().minusSeconds(60), Instant.now().plusSeconds(60));
        assertThat(body.path("model").asText()).isEqualTo("mock-1");
        assertThat(body.path("choices")).hasSize(1);
        JsonNode choice = body.path("choices").get(0);
        assertThat(choice.path("index").asInt()).isZero();
        assertThat(choice.path("message").path("role").asText()).isEqualTo("assistant");
        assertThat(choice.path("message").path("content").asText()).isEqualTo("This is a mock reply to: Hello there");
        assertThat(choice.path("finish_reason").asText()).isEqualTo("stop");
        JsonNode usage = body.path("usage");
        // 3 for the reply, 3 per message, 1 for the role, 2 for "Hello there".
        assertThat(usage.path("prompt_tokens").asLong()).isEqualTo(9);
        assertThat(usage.path("completion_tokens").asLong()).isEqualTo(9);
        assertThat(usage.path("total_tokens").asLong()).isEqualTo(18);
    }

    @Test
    void unversionedPathAnswersLikeTheVersionedOne() {
        HttpResponse<String> response = client.send(client.request("/chat/completions")
                .header("Authorization", "Bearer " + alice.plaintext())
                .POST(HttpRequest.BodyPublishers.ofString(HELLO)));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(client.json(response).path("object").asText()).isEqualTo("chat.completion");
        String id = response.headers().firstValue("X-Request-Id").orElseThrow();
        assertThat(history(alice.plaintext(), id).path("status").asText()).isEqualTo("success");
    }

    @Test
    void historyRecordsTheCompletionForTheKeyOwner() {
        HttpResponse<String> response = client.send(client.request("/v1/chat/completions")
                .header("Authorization", "Bearer " + alice.plaintext())
                .header("X-Session-Id", "session-42")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"model": "mock-1", "user": "mallory", "foo_bar": {"x": 1}, "temperature": 0.5,
                         "messages": [{"role": "system", "content": "Be brief."},
                                      {"role": "user",
                                       "content": [{"type": "text", "text": "Count the apples"}]}]}""")));
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode usage = client.json(response).path("usage");
        String id = response.headers().firstValue("X-Request-Id").orElseThrow();

        JsonNode record = history(alice.plaintext(), id);

        assertThat(record.path("id").asText()).isEqualTo(id);
        assertThat(record.path("status").asText()).isEqualTo("success");
        assertThat(record.path("user_id").asText()).isEqualTo("alice");
        assertThat(record.path("session_id").asText()).isEqualTo("session-42");
        assertThat(record.path("provider").asText()).isEqualTo("mock");
        assertThat(record.path("model").asText()).isEqualTo("mock-1");
        assertThat(record.path("request_type").asText()).isEqualTo("chat.completion");
        assertThat(record.path("http_status").asInt()).isEqualTo(200);
        assertThat(record.path("prompt_tokens").asLong()).isEqualTo(usage.path("prompt_tokens").asLong()).isPositive();
        assertThat(record.path("completion_tokens").asLong()).isEqualTo(usage.path("completion_tokens").asLong())
                .isPositive();
        assertThat(record.path("total_tokens").asLong()).isEqualTo(usage.path("total_tokens").asLong());
        assertThat(record.path("cached_tokens").asLong()).isZero();
        BigDecimal expectedCost = BigDecimal.valueOf(usage.path("prompt_tokens").asLong()).multiply(INPUT_PRICE)
                .add(BigDecimal.valueOf(usage.path("completion_tokens").asLong()).multiply(OUTPUT_PRICE))
                .divide(BigDecimal.valueOf(1_000_000));
        assertThat(record.path("cost").isBigDecimal()).as("cost is an exact decimal in %s", record).isTrue();
        assertThat(record.path("cost").decimalValue()).isEqualByComparingTo(expectedCost);
        assertThat(record.path("response_time_ms").isIntegralNumber()).isTrue();
        assertThat(record.path("response_time_ms").asLong()).isGreaterThanOrEqualTo(0);
        assertThat(Instant.parse(record.path("completed_at").asText()))
                .isAfterOrEqualTo(Instant.parse(record.path("created_at").asText()));
        assertThat(record.path("request").path("foo_bar").path("x").asInt()).isEqualTo(1);
        assertThat(record.path("request").path("user").asText()).isEqualTo("mallory");
        assertThat(record.path("response").path("usage")).isEqualTo(usage);
        assertThat(record.path("error_message").isNull()).isTrue();

        Map<String, Object> row = historyRow(id);
        assertThat(row).containsEntry("user_id", "alice")
                .containsEntry("api_key_id", alice.key().id())
                .containsEntry("session_id", "session-42")
                .containsEntry("status", "success");
        assertThat((BigDecimal) row.get("cost")).isEqualByComparingTo(expectedCost);
    }

    @Test
    void nulCharactersAreServedAndKeptInHistoryAsReplacementCharacters() {
        // PostgreSQL's jsonb cannot hold U+0000, but it is valid JSON that clients may send.
        HttpResponse<String> response = client.chat(alice.plaintext(), """
                {"model": "mock-1", "x\\u0000y": "\\u0000", "messages": [{"role": "user", "content": "a\\u0000b"}]}""");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(client.json(response).path("choices").get(0).path("message").path("content").asText())
                .isEqualTo("This is a mock reply to: a\u0000b");
        JsonNode record = history(alice.plaintext(), response.headers().firstValue("X-Request-Id").orElseThrow());
        assertThat(record.path("status").asText()).isEqualTo("success");
        assertThat(record.path("request").path("messages").get(0).path("content").asText()).isEqualTo("a\ufffdb");
        assertThat(record.path("request").path("x\ufffdy").asText()).isEqualTo("\ufffd");
    }

    @Test
    void historyIsPrivateToItsOwnerButOpenToAdmins() {
        String id = client.chat(alice.plaintext(), HELLO).headers().firstValue("X-Request-Id").orElseThrow();

        HttpResponse<String> asBob = client.history(bob, id);
        JsonNode error = assertOpenAiError(client, asBob, 404);
        assertThat(error.path("code").asText()).isEqualTo("not_found");
        assertThat(asBob.body()).doesNotContain("alice");
        // Bob learns nothing from the answer: it is the one for a record that does not exist at all.
        String unknown = UUID.randomUUID().toString();
        assertThat(client.history(bob, unknown).body()).isEqualTo(asBob.body().replace(id, unknown));

        HttpResponse<String> asAdmin = client.history(admin, id);
        assertThat(asAdmin.statusCode()).isEqualTo(200);
        assertThat(client.json(asAdmin).path("user_id").asText()).isEqualTo("alice");
    }

    @ParameterizedTest
    @ValueSource(strings = {"not-a-uuid", "1-1-1-1-1", "00000000-0000-0000-0000-00000000000g",
            "00000000000000000000000000000000000000", "%27%20OR%201%3D1--"})
    void malformedHistoryIdIsNotFound(String id) {
        JsonNode error = assertOpenAiError(client, client.history(alice.plaintext(), id), 404);

        assertThat(error.path("code").asText()).isEqualTo("not_found");
    }

    @Test
    void maxTokensTruncatesTheMockReply() {
        HttpResponse<String> response = client.chat(alice.plaintext(), """
                {"model": "mock-1", "max_tokens": 3, "messages": [{"role": "user", "content": "Hello there"}]}""");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = client.json(response);
        JsonNode choice = body.path("choices").get(0);
        assertThat(choice.path("finish_reason").asText()).isEqualTo("length");
        assertThat(choice.path("message").path("content").asText()).isEqualTo("This is a");
        assertThat(body.path("usage").path("completion_tokens").asLong()).isEqualTo(3);
        String id = response.headers().firstValue("X-Request-Id").orElseThrow();
        assertThat(history(alice.plaintext(), id).path("completion_tokens").asLong()).isEqualTo(3);
    }

    static Stream<Named<Function<String, HttpRequest.Builder>>> unauthenticatedRequests() {
        return Stream.of(
                unauthenticated("no Authorization header", key -> chatRequest("/v1/chat/completions")),
                unauthenticated("an unknown gateway key", key -> chatRequest("/v1/chat/completions")
                        .header("Authorization", "Bearer sk-gw-" + "x".repeat(43))),
                unauthenticated("a key of another format", key -> chatRequest("/v1/chat/completions")
                        .header("Authorization", "Bearer not-a-gateway-key")),
                unauthenticated("the key with the Basic scheme", key -> chatRequest("/v1/chat/completions")
                        .header("Authorization", "Basic " + key)),
                unauthenticated("the key without a scheme", key -> chatRequest("/v1/chat/completions")
                        .header("Authorization", key)),
                unauthenticated("the key followed by more text", key -> chatRequest("/v1/chat/completions")
                        .header("Authorization", "Bearer " + key + " extra")),
                unauthenticated("two Authorization headers", key -> chatRequest("/v1/chat/completions")
                        .header("Authorization", "Bearer " + key)
                        .header("Authorization", "Bearer " + key)),
                unauthenticated("the key as access_token",
                        key -> chatRequest("/v1/chat/completions?access_token=" + key)),
                unauthenticated("the key as access_token, unversioned path",
                        key -> chatRequest("/chat/completions?access_token=" + key)),
                unauthenticated("the key in X-Api-Key", key -> chatRequest("/v1/chat/completions")
                        .header("X-Api-Key", key)));
    }

    private static Named<Function<String, HttpRequest.Builder>> unauthenticated(
            String description, Function<String, HttpRequest.Builder> request) {
        return Named.of(description, request);
    }

    @ParameterizedTest
    @MethodSource("unauthenticatedRequests")
    void requestWithoutAValidBearerKeyIs401AndLeavesNoHistory(Function<String, HttpRequest.Builder> request) {
        long before = historyCount();

        HttpResponse<String> response = client.send(request.apply(alice.plaintext()));

        JsonNode error = assertOpenAiError(client, response, 401);
        assertThat(error.path("code").asText()).isEqualTo("invalid_api_key");
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"gateway\"");
        assertThat(response.body()).doesNotContain(alice.plaintext());
        assertThat(historyCount()).isEqualTo(before);
    }

    @Test
    void historyNeedsAKeyToo() {
        String id = client.chat(alice.plaintext(), HELLO).headers().firstValue("X-Request-Id").orElseThrow();

        HttpResponse<String> response = client.send(client.request("/v1/history/" + id + "?access_token="
                + alice.plaintext()).GET());

        assertOpenAiError(client, response, 401);
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                bad("malformed JSON", "{\"model\": \"mock-1\", \"messages\": [}", 400, null, "invalid_json"),
                bad("data after the JSON object", HELLO + " {}", 400, null, "invalid_json"),
                bad("truncated JSON", "{\"model\":\"mock-1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}", 400,
                        null, "invalid_json"),
                bad("an array body", "[{\"model\": \"mock-1\"}]", 400, null, null),
                bad("a string body", "\"mock-1\"", 400, null, null),
                bad("a null body", "null", 400, null, null),
                bad("an empty body", "", 400, null, null),
                bad("a blank body", "  \n ", 400, null, null),
                bad("no model", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 400, "model", null),
                bad("a numeric model", "{\"model\": 42, \"messages\": [{\"role\": \"user\", \"content\": "
                        + "\"hi\"}]}", 400, "model", null),
                bad("an unknown model", "{\"model\": \"gpt-nope\", \"messages\": [{\"role\": \"user\", \"content\": "
                        + "\"hi\"}]}", 404, "model", "model_not_found"),
                bad("no messages", "{\"model\": \"mock-1\"}", 400, "messages", null),
                bad("empty messages", "{\"model\": \"mock-1\", \"messages\": []}", 400, "messages", null),
                bad("messages not a list", "{\"model\": \"mock-1\", \"messages\": \"hi\"}", 400, "messages", null),
                bad("a message not an object", "{\"model\": \"mock-1\", \"messages\": [\"hi\"]}", 400, "messages[0]",
                        null),
                bad("an unknown role", "{\"model\": \"mock-1\", \"messages\": [{\"role\": \"wizard\", \"content\": "
                        + "\"hi\"}]}", 400, "messages[0].role", null),
                bad("a message without content", "{\"model\": \"mock-1\", \"messages\": [{\"role\": \"user\"}]}", 400,
                        "messages[0].content", null),
                bad("temperature 3", withField("\"temperature\": 3"), 400, "temperature", "decimal_out_of_range"),
                bad("temperature as text", withField("\"temperature\": \"hot\""), 400, "temperature",
                        "decimal_out_of_range"),
                bad("top_p 1.5", withField("\"top_p\": 1.5"), 400, "top_p", "decimal_out_of_range"),
                bad("max_tokens -1", withField("\"max_tokens\": -1"), 400, "max_tokens", "integer_out_of_range"),
                bad("max_tokens 0", withField("\"max_tokens\": 0"), 400, "max_tokens", "integer_out_of_range"),
                bad("max_tokens \"ten\"", withField("\"max_tokens\": \"ten\""), 400, "max_tokens",
                        "integer_out_of_range"),
                bad("max_tokens 2.5", withField("\"max_tokens\": 2.5"), 400, "max_tokens", "integer_out_of_range"),
                bad("stream \"yes\"", withField("\"stream\": \"yes\""), 400, "stream", null),
                bad("stream_options without stream", withField("\"stream_options\": {\"include_usage\": true}"), 400,
                        "stream_options", null),
                bad("stream_options not an object", withField("\"stream\": true, \"stream_options\": 1"), 400,
                        "stream_options", null),
                bad("include_usage not a boolean",
                        withField("\"stream\": true, \"stream_options\": {\"include_usage\": \"yes\"}"), 400,
                        "stream_options.include_usage", null),
                bad("user not a string", withField("\"user\": 5"), 400, "user", null),
                bad("a number beyond any double in a passed-through field",
                        withField("\"extra\": {\"scale\": [1e999999999]}"), 400, "extra.scale[0]",
                        "decimal_out_of_range"),
                bad("a huge temperature exponent", withField("\"temperature\": 1e-999999999"), 400, "temperature",
                        "decimal_out_of_range"),
                bad("nesting deeper than the parser allows",
                        withField("\"deep\": " + "[".repeat(5000) + "]".repeat(5000)), 400, null, "invalid_json"),
                Arguments.of("an invalid UTF-8 start byte", utf8WithBytes(0xff, 0xfe), 400, null, "invalid_json"),
                Arguments.of("an invalid UTF-8 continuation byte", utf8WithBytes(0xc3, 0x28), 400, null,
                        "invalid_json"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void badInputIsRefusedBeforeAnyHistoryIsWritten(String description, byte[] body, int status, String param,
                                                     String code) {
        long before = historyCount();

        HttpResponse<String> response = client.chat(alice.plaintext(), body);

        JsonNode error = assertOpenAiError(client, response, status);
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("param").isNull() ? null : error.path("param").asText()).isEqualTo(param);
        assertThat(error.path("code").isNull() ? null : error.path("code").asText()).isEqualTo(code);
        assertThat(response.body()).doesNotContain("Exception");
        assertThat(response.headers().firstValue("X-Request-Id")).isEmpty();
        assertThat(historyCount()).isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"has space", "semi;colon", "quote\"d", "{json}"})
    void badSessionHeaderIsRefused(String sessionId) {
        assertBadSessionHeaderIsRefused(sessionId);
    }

    @Test
    void overlongSessionHeaderIsRefused() {
        assertBadSessionHeaderIsRefused("s".repeat(129));
    }

    @Test
    void bodyOverTheLimitWithContentLengthIs413() {
        long before = historyCount();

        HttpResponse<String> response = client.chat(alice.plaintext(), paddedRequest(MAX_BODY_BYTES + 1));

        JsonNode error = assertOpenAiError(client, response, 413);
        assertThat(error.path("code").asText()).isEqualTo("request_too_large");
        assertThat(historyCount()).isEqualTo(before);
    }

    @Test
    void chunkedBodyOverTheLimitIs413() {
        long before = historyCount();

        HttpResponse<String> response = client.chatChunked(alice.plaintext(), paddedRequest(MAX_BODY_BYTES + 1));

        JsonNode error = assertOpenAiError(client, response, 413);
        assertThat(error.path("code").asText()).isEqualTo("request_too_large");
        assertThat(historyCount()).isEqualTo(before);
    }

    @Test
    void bodyExactlyAtTheLimitIsServed() {
        assertThat(client.chat(alice.plaintext(), paddedRequest(MAX_BODY_BYTES)).statusCode()).isEqualTo(200);
        assertThat(client.chatChunked(alice.plaintext(), paddedRequest(MAX_BODY_BYTES)).statusCode()).isEqualTo(200);
    }

    @Test
    void unreachableUpstreamIs502AndRecordedAsError() {
        HttpResponse<String> response = client.chat(alice.plaintext(), """
                {"model": "remote-1", "messages": [{"role": "user", "content": "hi"}]}""");

        JsonNode error = assertOpenAiError(client, response, 502);
        assertThat(error.path("code").asText()).isEqualTo("upstream_unreachable");
        String id = response.headers().firstValue("X-Request-Id").orElseThrow();
        JsonNode record = history(alice.plaintext(), id);
        assertThat(record.path("status").asText()).isEqualTo("error");
        assertThat(record.path("http_status").asInt()).isEqualTo(502);
        assertThat(record.path("upstream_status").isNull()).isTrue();
        assertThat(record.path("error_message").asText()).isEqualTo(error.path("message").asText());
        assertThat(record.path("upstream_model").asText()).isEqualTo("upstream-model-x");
    }

    @Test
    void unknownRouteAndWrongMethodAnswerInOpenAiShape() {
        HttpResponse<String> unknown = client.send(client.request("/v1/nothing-here")
                .header("Authorization", "Bearer " + alice.plaintext()).GET());
        HttpResponse<String> wrongMethod = client.send(client.request("/v1/chat/completions")
                .header("Authorization", "Bearer " + alice.plaintext()).GET());

        assertOpenAiError(client, unknown, 404);
        assertOpenAiError(client, wrongMethod, 405);
    }

    @Test
    void healthcheckReportsDatabaseAndBrokerHealthy() {
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(healthcheck().statusCode()).isEqualTo(200));

        JsonNode checks = client.json(healthcheck());
        assertThat(checks.path("postgresql").path("healthy").asBoolean()).isTrue();
        assertThat(checks.path("rabbitmq").path("healthy").asBoolean()).isTrue();
    }

    @Test
    void keysNeverReachTheLogs() {
        String marker = UUID.randomUUID().toString();
        client.send(client.request("/v1/history/" + marker + "?access_token=" + alice.plaintext())
                .header("Authorization", "Bearer " + bob)
                .GET());

        // The request log is written asynchronously once the response is done.
        await().atMost(Duration.ofSeconds(10)).until(() -> STDERR.text().contains(marker));
        String logs = STDERR.text();
        assertThat(logs).contains("GET /v1/history/" + marker + " ");
        for (String key : new String[] {alice.plaintext(), bob, admin}) {
            assertThat(logs).doesNotContain(key).doesNotContain(key.substring(14));
        }
    }

    private void assertBadSessionHeaderIsRefused(String sessionId) {
        long before = historyCount();

        HttpResponse<String> response = client.send(chatRequest("/v1/chat/completions")
                .header("Authorization", "Bearer " + alice.plaintext())
                .header("X-Session-Id", sessionId)
                .POST(HttpRequest.BodyPublishers.ofString(HELLO)));

        JsonNode error = assertOpenAiError(client, response, 400);
        assertThat(error.path("param").asText()).isEqualTo("X-Session-Id");
        assertThat(historyCount()).isEqualTo(before);
    }

    private static HttpRequest.Builder chatRequest(String path) {
        return client.request(path)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(HELLO));
    }

    private static HttpResponse<String> healthcheck() {
        return client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + APP.getAdminPort() + "/healthcheck")).GET());
    }

    private static JsonNode history(String key, String id) {
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

    private static long historyCount() {
        return JDBI.withHandle(handle -> handle.createQuery("SELECT count(*) FROM request_history")
                .mapTo(Long.class)
                .one());
    }

    private static Arguments bad(String description, String json, int status, String param, String code) {
        return Arguments.of(description, json.getBytes(StandardCharsets.UTF_8), status, param, code);
    }

    private static String withField(String field) {
        return "{\"model\": \"mock-1\", " + field + ", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}";
    }

    /** A valid request whose user message holds raw bytes that are not UTF-8. */
    private static byte[] utf8WithBytes(int... bytes) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes("{\"model\": \"mock-1\", \"messages\": [{\"role\": \"user\", \"content\": \"a"
                .getBytes(StandardCharsets.UTF_8));
        for (int b : bytes) {
            body.write(b);
        }
        body.writeBytes("b\"}]}".getBytes(StandardCharsets.UTF_8));
        return body.toByteArray();
    }

    /** A valid request of exactly {@code size} bytes. */
    private static byte[] paddedRequest(int size) {
        String head = "{\"model\": \"mock-1\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
                + "\"padding\": \"";
        String tail = "\"}";
        return (head + "p".repeat(size - head.length() - tail.length()) + tail).getBytes(StandardCharsets.UTF_8);
    }

    private static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free local port", e);
        }
    }
}
