package org.aigateway.gateway;

import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import org.aigateway.contracts.Topology;
import org.aigateway.gateway.auth.ApiKeyDao;
import org.aigateway.gateway.auth.ApiKeys;
import org.aigateway.support.testing.TestDatabase;
import org.aigateway.support.testing.TestVhost;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.aigateway.gateway.OpenAiErrorAssert.assertOpenAiError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Bad input of every kind, sent byte for byte to a running gateway. Each case is refused with a 4xx in OpenAI's
 * error shape (or, for a list filter that only matches nothing, answered with an empty page), never a 5xx, and
 * leaves nothing behind: no history row, no pending row, and no event but the alert of a refused key.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BadInputCatalogTest {
    private static final TestDatabase DB = TestDatabase.migrated("gateway", GatewayApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("gateway");
    private static final Jdbi JDBI = Jdbi.create(DB::connect)
            .installPlugin(new SqlObjectPlugin())
            .installPlugin(new PostgresPlugin());
    private static final PublishedEvents EVENTS = new PublishedEvents(JDBI, VHOST);
    private static final int MAX_BODY_BYTES = 1024 * 1024;

    private static final DropwizardAppExtension<GatewayConfiguration> APP = new DropwizardAppExtension<>(
            GatewayApplication.class,
            ResourceHelpers.resourceFilePath("test-gateway.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", VHOST::uri),
            // Large enough for a list of more messages than the gateway accepts.
            ConfigOverride.config("maxRequestBodySize", "1MiB"),
            ConfigOverride.config("logging.level", "WARN"));

    private static final String INVALID = "invalid_request_error";
    private static final String HELLO = """
            {"model": "mock-1", "messages": [{"role": "user", "content": "Hello there"}]}""";

    /** Values the cases refer to by placeholder, known only once the application runs. */
    private static final Map<String, String> VALUES = new java.util.HashMap<>();

    @BeforeAll
    static void createKeysAndRows() {
        ApiKeys keys = new ApiKeys(JDBI.onDemand(ApiKeyDao.class));
        String alice = keys.create("alice", null, false).plaintext();
        String bob = keys.create("bob", null, false).plaintext();
        ApiKeys.Issued revoked = keys.create("alice", "old laptop", false);
        assertThat(keys.revoke(revoked.key().id().toString())).isEqualTo(1);
        VALUES.put("{alice}", alice);
        VALUES.put("{aliceCut}", alice.substring(0, alice.length() - 1));
        VALUES.put("{admin}", keys.create("ops", null, true).plaintext());
        VALUES.put("{revoked}", revoked.plaintext());
        VALUES.put("{aliceRow}", completion(alice, "s-alice"));
        VALUES.put("{bobRow}", completion(bob, "s-bob"));
    }

    static Stream<Case> catalog() {
        List<Case> cases = new ArrayList<>();
        // JSON that does not parse, or is not an object.
        cases.add(chat("a bracket where a value belongs", "{\"model\": \"mock-1\", \"messages\": [}")
                .refused(400, INVALID, null, "invalid_json"));
        cases.add(chat("truncated inside a string", "{\"model\":\"mock-1\",\"messages\":[{\"role\":\"user\",\"content\":\"hel")
                .refused(400, INVALID, null, "invalid_json"));
        cases.add(chat("truncated after a colon", "{\"model\":").refused(400, INVALID, null, "invalid_json"));
        cases.add(chat("truncated before the closing brace", HELLO.substring(0, HELLO.length() - 1))
                .refused(400, INVALID, null, "invalid_json"));
        cases.add(chat("a second JSON value after the object", HELLO + " {}").refused(400, INVALID, null, "invalid_json"));
        cases.add(chat("single-quoted JSON", "{'model': 'mock-1', 'messages': []}")
                .refused(400, INVALID, null, "invalid_json"));
        cases.add(chat("a comment in the JSON", "{/* hi */ \"model\": \"mock-1\"}")
                .refused(400, INVALID, null, "invalid_json"));
        cases.add(chat("NaN as a number", withField("\"temperature\": NaN")).refused(400, INVALID, null, "invalid_json"));
        cases.add(chat("a trailing comma", HELLO.replace("}]}", "}],}")).refused(400, INVALID, null, "invalid_json"));
        cases.add(chat("an empty body", "").refused(400, INVALID, null, null));
        cases.add(chat("a body of whitespace", " \r\n\t ").refused(400, INVALID, null, null));
        cases.add(chat("JSON null", "null").refused(400, INVALID, null, null));
        cases.add(chat("a JSON array", "[" + HELLO + "]").refused(400, INVALID, null, null));
        cases.add(chat("a JSON string", "\"mock-1\"").refused(400, INVALID, null, null));
        cases.add(chat("a JSON number", "42").refused(400, INVALID, null, null));

        // Bytes that are not UTF-8, in a value and in a field name.
        cases.add(chat("invalid UTF-8: FF FE", inContent(0xff, 0xfe)).refused(400, INVALID, null, "invalid_json"));
        cases.add(chat("invalid UTF-8: a sequence cut short", inContent(0xe2, 0x82)).refused(400, INVALID, null, "invalid_json"));
        cases.add(chat("invalid UTF-8: overlong encoding of '/'", inContent(0xc0, 0xaf))
                .refused(400, INVALID, null, "invalid_json"));
        cases.add(chat("invalid UTF-8: an encoded surrogate", inContent(0xed, 0xa0, 0x80))
                .refused(400, INVALID, null, "invalid_json"));
        cases.add(chat("invalid UTF-8: a stray continuation byte", inContent(0x80)).refused(400, INVALID, null, "invalid_json"));
        cases.add(chat("invalid UTF-8: beyond U+10FFFF", inContent(0xf4, 0x90, 0x80, 0x80))
                .refused(400, INVALID, null, "invalid_json"));
        cases.add(chat("invalid UTF-8 in a field name", bytes("{\"mo", new int[] {0xc3, 0x28}, "del\": \"mock-1\"}"))
                .refused(400, INVALID, null, "invalid_json"));

        // A wrong type for every field the gateway reads.
        cases.add(chat("model is a number", "{\"model\": 42, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}")
                .refused(400, INVALID, "model", null));
        cases.add(chat("model is a list", HELLO.replace("\"mock-1\"", "[\"mock-1\"]")).refused(400, INVALID, "model", null));
        cases.add(chat("model is an object", HELLO.replace("\"mock-1\"", "{}")).refused(400, INVALID, "model", null));
        cases.add(chat("model is empty", HELLO.replace("\"mock-1\"", "\"\"")).refused(400, INVALID, "model", null));
        cases.add(chat("model is null", HELLO.replace("\"mock-1\"", "null")).refused(400, INVALID, "model", null));
        cases.add(chat("messages is a string", "{\"model\": \"mock-1\", \"messages\": \"hi\"}")
                .refused(400, INVALID, "messages", null));
        cases.add(chat("messages is an object", "{\"model\": \"mock-1\", \"messages\": {\"role\": \"user\"}}")
                .refused(400, INVALID, "messages", null));
        cases.add(chat("messages is null", "{\"model\": \"mock-1\", \"messages\": null}")
                .refused(400, INVALID, "messages", null));
        cases.add(chat("stream is a string", withField("\"stream\": \"yes\"")).refused(400, INVALID, "stream", null));
        cases.add(chat("stream is a number", withField("\"stream\": 1")).refused(400, INVALID, "stream", null));
        cases.add(chat("user is a number", withField("\"user\": 5")).refused(400, INVALID, "user", null));
        cases.add(chat("user is an object", withField("\"user\": {\"id\": 1}")).refused(400, INVALID, "user", null));
        cases.add(chat("max_tokens is a string", withField("\"max_tokens\": \"ten\""))
                .refused(400, INVALID, "max_tokens", "integer_out_of_range"));
        cases.add(chat("max_tokens is a boolean", withField("\"max_tokens\": true"))
                .refused(400, INVALID, "max_tokens", "integer_out_of_range"));
        cases.add(chat("max_completion_tokens is a string", withField("\"max_completion_tokens\": \"5\""))
                .refused(400, INVALID, "max_completion_tokens", "integer_out_of_range"));
        cases.add(chat("temperature is a string", withField("\"temperature\": \"hot\""))
                .refused(400, INVALID, "temperature", "decimal_out_of_range"));
        cases.add(chat("temperature is a list", withField("\"temperature\": []"))
                .refused(400, INVALID, "temperature", "decimal_out_of_range"));
        cases.add(chat("top_p is a string", withField("\"top_p\": \"1\"")).refused(400, INVALID, "top_p", "decimal_out_of_range"));
        cases.add(chat("n is a string", withField("\"n\": \"2\"")).refused(400, INVALID, "n", "integer_out_of_range"));
        cases.add(chat("presence_penalty is a boolean", withField("\"presence_penalty\": true"))
                .refused(400, INVALID, "presence_penalty", "decimal_out_of_range"));
        cases.add(chat("frequency_penalty is an object", withField("\"frequency_penalty\": {}"))
                .refused(400, INVALID, "frequency_penalty", "decimal_out_of_range"));

        cases.add(chat("stop is a number", withField("\"stop\": 5")).refused(400, INVALID, "stop", null));
        cases.add(chat("stop holds a number", withField("\"stop\": [\"end\", 5]")).refused(400, INVALID, "stop", null));
        cases.add(chat("seed is a string", withField("\"seed\": \"42\"")).refused(400, INVALID, "seed", "integer_out_of_range"));
        cases.add(chat("logprobs is a string", withField("\"logprobs\": \"true\"")).refused(400, INVALID, "logprobs", null));
        cases.add(chat("top_logprobs 21", withField("\"top_logprobs\": 21"))
                .refused(400, INVALID, "top_logprobs", "integer_out_of_range"));
        cases.add(chat("logit_bias is a list", withField("\"logit_bias\": [1]")).refused(400, INVALID, "logit_bias", null));
        cases.add(chat("logit_bias of 101", withField("\"logit_bias\": {\"50256\": 101}")).refused(400, INVALID, "logit_bias", null));
        cases.add(chat("tools is an object", withField("\"tools\": {\"type\": \"function\"}")).refused(400, INVALID, "tools", null));
        cases.add(chat("tool_choice is a number", withField("\"tool_choice\": 1")).refused(400, INVALID, "tool_choice", null));
        cases.add(chat("response_format is a string", withField("\"response_format\": \"json\""))
                .refused(400, INVALID, "response_format", null));
        cases.add(chat("parallel_tool_calls is a number", withField("\"parallel_tool_calls\": 1"))
                .refused(400, INVALID, "parallel_tool_calls", null));

        // Numbers out of range.
        cases.add(chat("max_tokens -1", withField("\"max_tokens\": -1")).refused(400, INVALID, "max_tokens", "integer_out_of_range"));
        cases.add(chat("max_tokens 0", withField("\"max_tokens\": 0")).refused(400, INVALID, "max_tokens", "integer_out_of_range"));
        cases.add(chat("max_tokens 2.5", withField("\"max_tokens\": 2.5")).refused(400, INVALID, "max_tokens", "integer_out_of_range"));
        cases.add(chat("max_tokens one over the largest int", withField("\"max_tokens\": 2147483648"))
                .refused(400, INVALID, "max_tokens", "integer_out_of_range"));
        cases.add(chat("max_tokens beyond any long", withField("\"max_tokens\": 99999999999999999999999"))
                .refused(400, INVALID, "max_tokens", "integer_out_of_range"));
        cases.add(chat("max_tokens beyond any double", withField("\"max_tokens\": 1e400"))
                .refused(400, INVALID, "max_tokens", "decimal_out_of_range"));
        cases.add(chat("max_completion_tokens 0", withField("\"max_completion_tokens\": 0"))
                .refused(400, INVALID, "max_completion_tokens", "integer_out_of_range"));
        cases.add(chat("numbers that grow a hundredfold when written out",
                withField("\"extra\": [" + String.join(",", java.util.Collections.nCopies(1000, "1e300")) + "]"))
                .refused(400, INVALID, "extra[33]", "decimal_out_of_range"));
        cases.add(chat("tiny numbers that grow a hundredfold when written out",
                withField("\"extra\": {\"a\": [" + String.join(",", java.util.Collections.nCopies(1000, "1e-300")) + "]}"))
                .refused(400, INVALID, "extra.a[33]", "decimal_out_of_range"));
        cases.add(chat("temperature -0.1", withField("\"temperature\": -0.1")).refused(400, INVALID, "temperature", "decimal_out_of_range"));
        cases.add(chat("temperature 2.5", withField("\"temperature\": 2.5")).refused(400, INVALID, "temperature", "decimal_out_of_range"));
        cases.add(chat("temperature 1e-400", withField("\"temperature\": 1e-400"))
                .refused(400, INVALID, "temperature", "decimal_out_of_range"));
        cases.add(chat("top_p 1.01", withField("\"top_p\": 1.01")).refused(400, INVALID, "top_p", "decimal_out_of_range"));
        cases.add(chat("top_p -0.5", withField("\"top_p\": -0.5")).refused(400, INVALID, "top_p", "decimal_out_of_range"));
        cases.add(chat("n 0", withField("\"n\": 0")).refused(400, INVALID, "n", "integer_out_of_range"));
        cases.add(chat("n 129", withField("\"n\": 129")).refused(400, INVALID, "n", "integer_out_of_range"));
        cases.add(chat("n 1.5", withField("\"n\": 1.5")).refused(400, INVALID, "n", "integer_out_of_range"));
        cases.add(chat("presence_penalty 2.5", withField("\"presence_penalty\": 2.5"))
                .refused(400, INVALID, "presence_penalty", "decimal_out_of_range"));
        cases.add(chat("frequency_penalty -3", withField("\"frequency_penalty\": -3"))
                .refused(400, INVALID, "frequency_penalty", "decimal_out_of_range"));

        // Messages.
        cases.add(chat("no messages at all", "{\"model\": \"mock-1\"}").refused(400, INVALID, "messages", null));
        cases.add(chat("an empty messages list", "{\"model\": \"mock-1\", \"messages\": []}").refused(400, INVALID, "messages", null));
        cases.add(chat("10,001 messages", manyMessages(10_001)).refused(400, INVALID, "messages", null));
        cases.add(chat("a message that is a string", messages("\"hi\"")).refused(400, INVALID, "messages[0]", null));
        cases.add(chat("a message that is null", messages("null")).refused(400, INVALID, "messages[0]", null));
        cases.add(chat("a message without a role", messages("{\"content\": \"hi\"}")).refused(400, INVALID, "messages[0].role", null));
        cases.add(chat("a role that is a number", messages("{\"role\": 5, \"content\": \"hi\"}"))
                .refused(400, INVALID, "messages[0].role", null));
        cases.add(chat("an unknown role", messages("{\"role\": \"wizard\", \"content\": \"hi\"}"))
                .refused(400, INVALID, "messages[0].role", null));
        cases.add(chat("a role in capitals", messages("{\"role\": \"USER\", \"content\": \"hi\"}"))
                .refused(400, INVALID, "messages[0].role", null));
        cases.add(chat("an empty role", messages("{\"role\": \"\", \"content\": \"hi\"}")).refused(400, INVALID, "messages[0].role", null));
        cases.add(chat("a bad role in the second message", messages("{\"role\": \"user\", \"content\": \"hi\"}, "
                + "{\"role\": \"root\", \"content\": \"hi\"}")).refused(400, INVALID, "messages[1].role", null));
        cases.add(chat("a message without content", messages("{\"role\": \"user\"}")).refused(400, INVALID, "messages[0].content", null));
        cases.add(chat("content that is a number", messages("{\"role\": \"user\", \"content\": 5}"))
                .refused(400, INVALID, "messages[0].content", null));
        cases.add(chat("content that is an object", messages("{\"role\": \"user\", \"content\": {\"text\": \"hi\"}}"))
                .refused(400, INVALID, "messages[0].content", null));
        cases.add(chat("a content part that is a number", messages("{\"role\": \"user\", \"content\": [1]}"))
                .refused(400, INVALID, "messages[0].content[0]", null));
        cases.add(chat("a content part without a type", messages("{\"role\": \"user\", \"content\": [{\"text\": \"hi\"}]}"))
                .refused(400, INVALID, "messages[0].content[0]", null));
        cases.add(chat("a tool message without tool_call_id", messages("{\"role\": \"tool\", \"content\": \"42\"}"))
                .refused(400, INVALID, "messages[0].tool_call_id", null));
        cases.add(chat("an assistant message with neither content nor tool calls", messages("{\"role\": \"assistant\"}"))
                .refused(400, INVALID, "messages[0].content", null));

        // Models that do not exist.
        cases.add(chat("an unknown model", HELLO.replace("mock-1", "gpt-nope")).refused(404, INVALID, "model", "model_not_found"));
        cases.add(chat("a model name with control characters", HELLO.replace("mock-1", "mock-1\\u0000\\u0007"))
                .refused(404, INVALID, "model", "model_not_found"));
        cases.add(chat("a model name of 5000 characters", HELLO.replace("mock-1", "m".repeat(5000)))
                .refused(404, INVALID, "model", "model_not_found"));
        cases.add(chat("an unknown model on the unversioned path", HELLO.replace("mock-1", "gpt-nope"))
                .target("/chat/completions").refused(404, INVALID, "model", "model_not_found"));

        // Bodies over the limit, and framing Jetty refuses.
        cases.add(chat("a body one byte over the limit", paddedRequest(MAX_BODY_BYTES + 1))
                .refused(413, INVALID, null, "request_too_large"));
        cases.add(chat("a chunked body one byte over the limit", paddedRequest(MAX_BODY_BYTES + 1)).chunked()
                .refused(413, INVALID, null, "request_too_large"));
        cases.add(chat("a Content-Length that is not a number", HELLO).contentLength("abc").refused(400, INVALID, null, null));
        cases.add(chat("both Content-Length and chunked encoding", HELLO).chunked().contentLength("5")
                .refused(400, INVALID, null, null));

        // X-Session-Id: control characters cannot pass Jetty; everything else must pass the validator.
        cases.add(chat("a session id with a control character", HELLO).header("X-Session-Id: a\u0001b")
                .refused(400, INVALID, null, null));
        cases.add(chat("a session id with DEL", HELLO).header("X-Session-Id: a\u007fb").refused(400, INVALID, null, null));
        cases.add(chat("a session id with a tab", HELLO).header("X-Session-Id: a\tb").refused(400, INVALID, "X-Session-Id", null));
        cases.add(chat("a session id of 129 characters", HELLO).header("X-Session-Id: " + "s".repeat(129))
                .refused(400, INVALID, "X-Session-Id", null));
        cases.add(chat("a session id of 20,000 characters", HELLO).header("X-Session-Id: " + "s".repeat(20_000))
                .refused(431, INVALID, null, null));
        cases.add(chat("a session id in UTF-8 beyond ASCII", HELLO).header("X-Session-Id: " + utf8Bytes("sessión-ü"))
                .refused(400, INVALID, "X-Session-Id", null));
        cases.add(chat("a session id with a Latin-1 byte", HELLO).header("X-Session-Id: s\u00e9")
                .refused(400, INVALID, "X-Session-Id", null));
        cases.add(chat("an empty session id", HELLO).header("X-Session-Id: ").refused(400, INVALID, "X-Session-Id", null));
        cases.add(chat("a session id that looks like SQL", HELLO).header("X-Session-Id: x' OR '1'='1")
                .refused(400, INVALID, "X-Session-Id", null));

        // Authorization: every way of not presenting exactly one valid key.
        String refusedKey = "invalid_api_key";
        cases.add(chat("no Authorization header", HELLO).auth().refused(401, INVALID, null, refusedKey));
        cases.add(chat("Bearer without a key", HELLO).auth("Bearer").refused(401, INVALID, null, refusedKey));
        cases.add(chat("Bearer and spaces", HELLO).auth("Bearer    ").refused(401, INVALID, null, refusedKey));
        cases.add(chat("an empty Authorization header", HELLO).auth("").refused(401, INVALID, null, refusedKey));
        cases.add(chat("the key with the Basic scheme", HELLO).auth("Basic {alice}").refused(401, INVALID, null, refusedKey));
        cases.add(chat("the key with the Token scheme", HELLO).auth("Token {alice}").refused(401, INVALID, null, refusedKey));
        cases.add(chat("the key without a scheme", HELLO).auth("{alice}").refused(401, INVALID, null, refusedKey));
        cases.add(chat("the key followed by more text", HELLO).auth("Bearer {alice} extra")
                .refused(401, INVALID, null, refusedKey));
        cases.add(chat("a key with a space inside", HELLO).auth("Bearer sk-gw-abc def").refused(401, INVALID, null, refusedKey));
        cases.add(chat("the valid key in two Authorization headers", HELLO).auth("Bearer {alice}", "Bearer {alice}")
                .refused(401, INVALID, null, refusedKey));
        cases.add(chat("a valid and an invalid Authorization header", HELLO).auth("Bearer {alice}", "Bearer sk-gw-nope")
                .refused(401, INVALID, null, refusedKey));
        cases.add(chat("a revoked key", HELLO).auth("Bearer {revoked}").refused(401, INVALID, null, refusedKey));
        cases.add(chat("an unknown key in the gateway's format", HELLO).auth("Bearer sk-gw-" + "x".repeat(43))
                .refused(401, INVALID, null, refusedKey));
        cases.add(chat("a key one character short", HELLO).auth("Bearer {aliceCut}")
                .refused(401, INVALID, null, refusedKey));
        cases.add(chat("a key of 600 characters", HELLO).auth("Bearer sk-gw-" + "a".repeat(600))
                .refused(401, INVALID, null, refusedKey));
        cases.add(chat("a key with bytes beyond ASCII", HELLO).auth("Bearer sk-gw-" + utf8Bytes("ключ"))
                .refused(401, INVALID, null, refusedKey));
        cases.add(chat("a key with a control character", HELLO).auth("Bearer sk-gw-\u0001abc")
                .refused(400, INVALID, null, null));
        cases.add(chat("the key only as api_key in the query", HELLO).auth().target("/v1/chat/completions?api_key={alice}")
                .refused(401, INVALID, null, refusedKey));
        cases.add(chat("the key only as access_token in the query", HELLO).auth()
                .target("/v1/chat/completions?access_token={alice}").refused(401, INVALID, null, refusedKey));
        cases.add(chat("the key only in X-Api-Key", HELLO).auth().header("X-Api-Key: {alice}")
                .refused(401, INVALID, null, refusedKey));
        cases.add(get("a revoked key listing history", "/v1/history").auth("Bearer {revoked}")
                .refused(401, INVALID, null, refusedKey));

        // History records by malformed or foreign ids.
        cases.add(get("a history id that is not a UUID", "/v1/history/not-a-uuid").refused(404, INVALID, null, "not_found"));
        cases.add(get("a history id without dashes", "/v1/history/" + "0".repeat(32)).refused(404, INVALID, null, "not_found"));
        cases.add(get("a history id with a letter beyond hex", "/v1/history/00000000-0000-0000-0000-00000000000g")
                .refused(404, INVALID, null, "not_found"));
        cases.add(get("a history id of 5000 characters", "/v1/history/" + "a".repeat(5000)).refused(404, INVALID, null, "not_found"));
        cases.add(get("a history id that looks like SQL", "/v1/history/" + enc("' OR 1=1 --"))
                .refused(404, INVALID, null, "not_found"));
        cases.add(get("a history id with an encoded slash", "/v1/history/..%2F..%2Fetc").refused(400, INVALID, null, null));
        cases.add(get("a history id with an encoded NUL", "/v1/history/%00").refused(400, INVALID, null, null));
        cases.add(get("an unknown history id", "/v1/history/" + UUID.randomUUID()).refused(404, INVALID, null, "not_found"));
        cases.add(get("another user's history record", "/v1/history/{bobRow}").refused(404, INVALID, null, "not_found"));

        // History list parameters.
        cases.add(get("a cursor that is not base64", "/v1/history?cursor=not*a*cursor").refused(400, INVALID, "cursor", "invalid_cursor"));
        cases.add(get("a cursor of another kind", "/v1/history?cursor=" + cursor("e1:123")).refused(400, INVALID, "cursor", "invalid_cursor"));
        cases.add(get("a cursor in the year 300000", "/v1/history?cursor=" + cursor("h1:+300000-01-01T00:00:00Z," + UUID.randomUUID()))
                .refused(400, INVALID, "cursor", "invalid_cursor"));
        cases.add(get("a cursor that looks like SQL", "/v1/history?cursor=" + cursor("h1:2025-01-01T00:00:00Z' OR '1'='1"))
                .refused(400, INVALID, "cursor", "invalid_cursor"));
        cases.add(get("a cursor of 6000 characters", "/v1/history?cursor=" + "a".repeat(6000))
                .refused(400, INVALID, "cursor", "invalid_cursor"));
        cases.add(get("a URL longer than the server takes", "/v1/history?cursor=" + "a".repeat(20_000)).refused(414, INVALID, null, null));
        cases.add(get("from is a word", "/v1/history?from=yesterday").refused(400, INVALID, "from", "invalid_date"));
        cases.add(get("from in month 13", "/v1/history?from=2025-13-01").refused(400, INVALID, "from", "invalid_date"));
        cases.add(get("to on February 30", "/v1/history?to=2025-02-30").refused(400, INVALID, "to", "invalid_date"));
        cases.add(get("from at hour 25", "/v1/history?from=2025-03-01T25:00:00Z").refused(400, INVALID, "from", "invalid_date"));
        cases.add(get("from in the year 300000", "/v1/history?from=" + enc("+300000-01-01T00:00:00Z"))
                .refused(400, INVALID, "from", "invalid_date"));
        cases.add(get("to before the year 1", "/v1/history?to=" + enc("-0001-01-01T00:00:00Z")).refused(400, INVALID, "to", "invalid_date"));
        cases.add(get("from after to", "/v1/history?from=2025-03-02&to=2025-03-01").refused(400, INVALID, "from", null));
        cases.add(get("from that looks like SQL", "/v1/history?from=" + enc("2025-01-01' OR '1'='1"))
                .refused(400, INVALID, "from", "invalid_date"));
        cases.add(get("status that looks like SQL", "/v1/history?status=" + enc("success' OR '1'='1"))
                .refused(400, INVALID, "status", null));
        cases.add(get("limit that looks like SQL", "/v1/history?limit=" + enc("1; DROP TABLE request_history"))
                .refused(400, INVALID, "limit", null));
        cases.add(get("limit 101", "/v1/history?limit=101").refused(400, INVALID, "limit", null));
        cases.add(get("model that looks like SQL", "/v1/history?model=" + enc("mock-1' OR '1'='1")).emptyList());
        cases.add(get("model with a LIKE wildcard", "/v1/history?model=" + enc("mock%")).emptyList());
        cases.add(get("provider that looks like SQL", "/v1/history?provider=" + enc("mock\" OR \"\"=\"")).emptyList());
        cases.add(get("provider with a LIKE wildcard", "/v1/history?provider=" + enc("m_ck")).emptyList());
        cases.add(get("sessionId that looks like SQL", "/v1/history?sessionId=" + enc("s-alice'; DROP TABLE request_history; --"))
                .emptyList());
        cases.add(get("sessionId with a LIKE wildcard", "/v1/history?sessionId=" + enc("s-%")).emptyList());
        cases.add(get("userId that looks like SQL, as an admin", "/v1/history?userId=" + enc("alice' OR '1'='1"))
                .auth("Bearer {admin}").emptyList());
        cases.add(get("userId that looks like SQL, as a user", "/v1/history?userId=" + enc("alice' OR '1'='1"))
                .refused(403, "permission_error", "userId", null));
        cases.add(get("model with a percent-encoded invalid byte", "/v1/history?model=%FF").emptyList());
        cases.add(get("model with a NUL character", "/v1/history?model=mock-1%00").refused(400, INVALID, "model", null));
        cases.add(get("provider with a NUL character", "/v1/history?provider=%00").refused(400, INVALID, "provider", null));
        cases.add(get("sessionId with a NUL character", "/v1/history?sessionId=s-alice%00").refused(400, INVALID, "sessionId", null));
        cases.add(get("userId with a NUL character, as an admin", "/v1/history?userId=alice%00").auth("Bearer {admin}")
                .refused(400, INVALID, "userId", null));

        // Routes and methods.
        cases.add(get("GET on chat completions", "/v1/chat/completions").refused(405, INVALID, null, null));
        cases.add(request("PUT on the history list", "PUT", "/v1/history", HELLO).refused(405, INVALID, null, null));
        cases.add(request("DELETE on a history record", "DELETE", "/v1/history/{aliceRow}", "").refused(405, INVALID, null, null));
        cases.add(request("TRACE on the history list", "TRACE", "/v1/history", null).refused(405, INVALID, null, null));
        cases.add(request("an admin task on the application port", "POST", "/tasks/gc", "").refused(404, "not_found_error", null, null));
        cases.add(get("an unknown URL", "/v1/nothing-here").refused(404, "not_found_error", null, null));
        cases.add(get("an unknown model by id", "/v1/models/no-such-model").refused(404, INVALID, "model", "model_not_found"));
        cases.add(get("a model id with an encoded NUL", "/v1/models/%00").refused(400, INVALID, null, null));
        return cases.stream();
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @MethodSource("catalog")
    void badInputIsRefusedCleanly(Case badInput) {
        long historyBefore = count("SELECT count(*) FROM request_history");
        PublishedEvents.Mark eventsBefore = EVENTS.mark();
        long refusedBefore = meter("auth.refused");
        long suppressedBefore = meter("auth.refused.alerts-suppressed");

        RawHttp.Response response = RawHttp.exchange(APP.getLocalPort(), badInput.bytes());

        assertThat(response.status()).as("never a server error: %s", response.text()).isLessThan(500);
        if (badInput.status() == 200) {
            assertThat(response.status()).as(response.text()).isEqualTo(200);
            JsonNode page = json(response.text());
            assertThat(page.path("data").isArray()).isTrue();
            assertThat(page.path("data")).as("rows matched by %s", badInput).isEmpty();
        } else {
            JsonNode error = assertOpenAiError(response, badInput.status());
            assertThat(response.text()).doesNotContain("at org.", "Exception");
            assertThat(error.path("type").asText()).isEqualTo(badInput.type());
            assertThat(error.path("param").isNull() ? null : error.path("param").asText()).isEqualTo(badInput.param());
            assertThat(error.path("code").isNull() ? null : error.path("code").asText()).isEqualTo(badInput.code());
            assertThat(response.header("X-Request-Id")).isEmpty();
        }
        for (String secret : List.of(VALUES.get("{alice}"), VALUES.get("{admin}"), VALUES.get("{revoked}"))) {
            assertThat(response.text()).doesNotContain(secret);
        }

        assertThat(count("SELECT count(*) FROM request_history")).as("history rows").isEqualTo(historyBefore);
        assertThat(count("SELECT count(*) FROM request_history WHERE status = 'pending'")).as("pending rows").isZero();
        List<PublishedEvents.Event> queued = EVENTS.since(eventsBefore);
        long refused = meter("auth.refused") - refusedBefore;
        if (response.status() == 401) {
            // Each refused key is one alert, queued unless the alert rate limit held it back.
            assertThat(refused).isEqualTo(1);
            assertThat(queued.size() + meter("auth.refused.alerts-suppressed") - suppressedBefore).isEqualTo(1);
            assertThat(queued).allSatisfy(queuedEvent -> {
                assertThat(queuedEvent.routingKey()).isEqualTo(Topology.routingKey(Topology.CRITICAL_QUEUE));
                JsonNode event = queuedEvent.body();
                assertThat(event.path("eventName").asText()).isEqualTo("authentication_failed");
                assertThat(event.path("userId").asText()).isEqualTo("anonymous");
            });
        } else {
            assertThat(refused).isZero();
            assertThat(queued).as("queued events").isEmpty();
        }
    }

    @Order(2)
    @Test
    void gatewayIsHealthyAndServingAfterTheCatalog() {
        GatewayClient client = new GatewayClient(APP::getLocalPort, APP.getObjectMapper());
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(client.send(client.request("")
                .uri(java.net.URI.create("http://127.0.0.1:" + APP.getAdminPort() + "/healthcheck"))
                .GET()).statusCode()).isEqualTo(200));
        JsonNode checks = client.json(client.send(client.request("")
                .uri(java.net.URI.create("http://127.0.0.1:" + APP.getAdminPort() + "/healthcheck")).GET()));
        checks.fields().forEachRemaining(check ->
                assertThat(check.getValue().path("healthy").asBoolean()).as(check.getKey()).isTrue());
        assertThat(checks.has("postgresql") && checks.has("rabbitmq") && checks.has("outbox")).isTrue();

        assertThat(client.chat(VALUES.get("{alice}"), HELLO).statusCode()).isEqualTo(200);
        assertThat(count("SELECT count(*) FROM request_history WHERE status = 'pending'")).isZero();
    }

    @Order(3)
    @Test
    void wellFormedPassThroughFieldsAreServed() {
        GatewayClient client = new GatewayClient(APP::getLocalPort, APP.getObjectMapper());
        var response = client.chat(VALUES.get("{alice}"), withField("""
                "stop": ["\\n\\n", "END"], "seed": -7, "logprobs": true, "top_logprobs": 20,
                "logit_bias": {"50256": -100, "11": 2.5}, "tools": [{"type": "function", "function": {"name": "f"}}],
                "tool_choice": "auto", "response_format": {"type": "json_object"}, "parallel_tool_calls": false,
                "top_k": 40, "stop_token_ids": [2], "scale": [1e300, 1e-300]"""));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(client.chat(VALUES.get("{alice}"), withField("\"stop\": \"END\", \"tool_choice\": {\"type\": \"none\"}"))
                .statusCode()).isEqualTo(200);
    }

    @Test
    void twoSessionHeadersAreRefused() {
        Case twoHeaders = chat("two X-Session-Id headers", HELLO).header("X-Session-Id: s-1").header("X-Session-Id: s-2")
                .refused(400, INVALID, "X-Session-Id", null);
        long historyBefore = count("SELECT count(*) FROM request_history");

        RawHttp.Response response = RawHttp.exchange(APP.getLocalPort(), twoHeaders.bytes());

        assertThat(assertOpenAiError(response, 400).path("param").asText()).isEqualTo("X-Session-Id");
        assertThat(count("SELECT count(*) FROM request_history")).isEqualTo(historyBefore);
    }

    /**
     * One bad request and what it must get. {@code status} 200 means "an empty page"; otherwise the error's
     * status and its {@code type}, {@code param} and {@code code}. Header lines, target and body may name
     * {@link #VALUES} by placeholder; header characters are sent as single bytes (ISO-8859-1).
     */
    record Case(String name, String method, String target, List<String> headers, byte[] body, boolean chunked,
                String contentLength, int status, String type, String param, String code) {
        byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            List<String> lines = new ArrayList<>();
            lines.add(method + " " + resolve(target) + " HTTP/1.1");
            lines.add("Host: 127.0.0.1");
            lines.add("Connection: close");
            headers.forEach(header -> lines.add(resolve(header)));
            byte[] content = body == null ? new byte[0] : resolve(body);
            if (contentLength != null) {
                lines.add("Content-Length: " + contentLength);
            } else if (body != null && !chunked) {
                lines.add("Content-Length: " + content.length);
            }
            if (chunked) {
                lines.add("Transfer-Encoding: chunked");
            }
            out.writeBytes((String.join("\r\n", lines) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            if (chunked) {
                for (int start = 0; start < content.length; start += 8192) {
                    int size = Math.min(8192, content.length - start);
                    out.writeBytes((Integer.toHexString(size) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.write(content, start, size);
                    out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                }
                out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            } else {
                out.writeBytes(content);
            }
            return out.toByteArray();
        }

        private static String resolve(String text) {
            String resolved = text;
            for (Map.Entry<String, String> value : VALUES.entrySet()) {
                resolved = resolved.replace(value.getKey(), value.getValue());
            }
            return resolved;
        }

        private static byte[] resolve(byte[] body) {
            String text = new String(body, StandardCharsets.ISO_8859_1);
            return text.contains("{") && VALUES.keySet().stream().anyMatch(text::contains)
                    ? resolve(text).getBytes(StandardCharsets.ISO_8859_1) : body;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Builds a {@link Case}: by default with alice's key, and a JSON Content-Type when there is a body. */
    static final class CaseBuilder {
        private final String name;
        private final String method;
        private String target;
        private final byte[] body;
        private final List<String> headers = new ArrayList<>();
        private List<String> authorization = List.of("Bearer {alice}");
        private boolean chunked;
        private String contentLength;

        CaseBuilder(String name, String method, String target, byte[] body) {
            this.name = name;
            this.method = method;
            this.target = target;
            this.body = body;
            if (body != null) {
                headers.add("Content-Type: application/json");
            }
        }

        CaseBuilder target(String newTarget) {
            target = newTarget;
            return this;
        }

        CaseBuilder header(String line) {
            headers.add(line);
            return this;
        }

        /** Replaces the Authorization header with these values, one header each; none means no header. */
        CaseBuilder auth(String... values) {
            authorization = List.of(values);
            return this;
        }

        CaseBuilder chunked() {
            chunked = true;
            return this;
        }

        CaseBuilder contentLength(String declared) {
            contentLength = declared;
            return this;
        }

        Case refused(int status, String type, String param, String code) {
            List<String> all = new ArrayList<>();
            authorization.forEach(value -> all.add("Authorization: " + value));
            all.addAll(headers);
            return new Case(name, method, target, all, body, chunked, contentLength, status, type, param, code);
        }

        Case emptyList() {
            return refused(200, null, null, null);
        }
    }

    private static CaseBuilder chat(String name, String json) {
        return chat(name, json.getBytes(StandardCharsets.UTF_8));
    }

    private static CaseBuilder chat(String name, byte[] body) {
        return new CaseBuilder(name, "POST", "/v1/chat/completions", body);
    }

    private static CaseBuilder get(String name, String target) {
        return new CaseBuilder(name, "GET", target, null);
    }

    private static CaseBuilder request(String name, String method, String target, String body) {
        return new CaseBuilder(name, method, target, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    private static String withField(String field) {
        return "{\"model\": \"mock-1\", " + field + ", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}";
    }

    private static String messages(String list) {
        return "{\"model\": \"mock-1\", \"messages\": [" + list + "]}";
    }

    private static String manyMessages(int count) {
        return messages(String.join(",", java.util.Collections.nCopies(count, "{\"role\":\"user\",\"content\":\"\"}")));
    }

    /** A valid request whose user message holds these raw bytes. */
    private static byte[] inContent(int... bytes) {
        return bytes("{\"model\": \"mock-1\", \"messages\": [{\"role\": \"user\", \"content\": \"a", bytes, "b\"}]}");
    }

    private static byte[] bytes(String head, int[] raw, String tail) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(head.getBytes(StandardCharsets.UTF_8));
        for (int b : raw) {
            body.write(b);
        }
        body.writeBytes(tail.getBytes(StandardCharsets.UTF_8));
        return body.toByteArray();
    }

    /** The UTF-8 bytes of a text, one char per byte, as header lines are sent. */
    private static String utf8Bytes(String text) {
        return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    /** A valid request of exactly {@code size} bytes. */
    private static byte[] paddedRequest(int size) {
        String head = "{\"model\": \"mock-1\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"padding\": \"";
        String tail = "\"}";
        return (head + "p".repeat(size - head.length() - tail.length()) + tail).getBytes(StandardCharsets.UTF_8);
    }

    private static String cursor(String decoded) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(decoded.getBytes(StandardCharsets.US_ASCII));
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String completion(String key, String sessionId) {
        GatewayClient client = new GatewayClient(APP::getLocalPort, APP.getObjectMapper());
        var response = client.send(client.request("/v1/chat/completions")
                .header("Authorization", "Bearer " + key)
                .header("X-Session-Id", sessionId)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(HELLO)));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.headers().firstValue("X-Request-Id").orElseThrow();
    }

    private static long count(String sql) {
        return JDBI.withHandle(h -> h.createQuery(sql).mapTo(Long.class).one());
    }

    private static long meter(String name) {
        return APP.getEnvironment().metrics().meter(MetricRegistry.name(name)).getCount();
    }

    private static JsonNode json(String text) {
        try {
            return APP.getObjectMapper().readTree(text);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }
}
