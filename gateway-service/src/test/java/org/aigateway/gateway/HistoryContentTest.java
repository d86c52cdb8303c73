package org.aigateway.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import io.dropwizard.util.DataSize;
import jakarta.validation.ConstraintViolation;
import org.aigateway.gateway.history.HistoryContent;
import org.aigateway.gateway.history.HistoryContent.Mode;
import org.aigateway.gateway.history.HistoryFactory;
import org.aigateway.support.testing.TestDatabase;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** What the history stores of request and response bodies in each content mode, and within the size limit. */
class HistoryContentTest {
    private static final ObjectMapper MAPPER = Jackson.newObjectMapper();
    // Only to ask PostgreSQL itself whether it accepts the text as jsonb.
    private static final TestDatabase DB = TestDatabase.create("history");
    private static final Jdbi JDBI = Jdbi.create(DB::connect);
    private static final long NO_LIMIT = 1L << 30;

    private static final String REQUEST = """
            {"model": "mock-1", "temperature": 0.2, "max_tokens": 50, "stream": false,
             "stream_options": {"include_usage": true}, "user": "alice@example.com",
             "metadata": {"customer": "Card 4111 1111 1111 1111"},
             "response_format": {"type": "json_schema",
                                 "json_schema": {"name": "secret_schema", "schema": {"description": "hidden words"}}},
             "tool_choice": "auto", "reasoning_effort": "low", "seed": 123,
             "logit_bias": {"50256": -100, "bob@example.org": 5},
             "tools": [{"type": "function", "function": {"name": "lookup",
                        "description": "Find the account of bob@example.org", "parameters": {"type": "object"}}}],
             "messages": [
               {"role": "system", "content": "You are helpful. Secret system prompt."},
               {"role": "user", "content": "My email is jane.doe@example.com and my card is 4111-1111-1111-1111 😀"},
               {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
                 "function": {"name": "lookup", "arguments": "{\\"email\\": \\"jane.doe@example.com\\"}"}}]},
               {"role": "tool", "tool_call_id": "call_1",
                "content": "Account of jane.doe@example.com: 5500 0000 0000 0004"},
               {"role": "user", "name": "Jane Doe", "content": [{"type": "text", "text": "Look at this"},
                 {"type": "image_url", "image_url": {"url": "https://example.com/x.png"}}]}]}""";

    private static final String RESPONSE = """
            {"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "mock-1",
             "system_fingerprint": "fp",
             "choices": [
               {"index": 0, "message": {"role": "assistant", "content": "Write to jane.doe@example.com today",
                "refusal": null}, "logprobs": null, "finish_reason": "stop"},
               {"index": 1, "message": {"role": "assistant", "content": null, "tool_calls": [{"id": "c",
                "type": "function", "function": {"name": "send",
                "arguments": "{\\"to\\": \\"jane.doe@example.com\\"}"}}]}, "finish_reason": "tool_calls"},
               {"index": 2, "message": {"role": "assistant", "content": null, "refusal": "I can't help with that"},
                "finish_reason": "stop"}],
             "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
                       "prompt_tokens_details": {"cached_tokens": 2},
                       "completion_tokens_details": {"reasoning_tokens": 0}}}""";

    /** Every piece of text in the two bodies above that metadata must never keep. */
    private static final List<String> TEXT = List.of("helpful", "Secret", "jane", "4111", "5500", "alice", "bob",
            "example", "Look at this", "Jane Doe", "x.png", "secret_schema", "hidden", "account", "Account",
            "lookup", "call_1", "Write to", "today", "send", "help with");

    @AfterAll
    static void dropDatabase() {
        DB.close();
    }

    @Test
    void fullStoresTheBodiesAsTheyAre() {
        HistoryContent full = content(Mode.FULL, NO_LIMIT);

        assertThat(tree(full.request(tree(REQUEST)))).isEqualTo(tree(REQUEST));
        assertThat(tree(full.response(tree(RESPONSE)))).isEqualTo(tree(RESPONSE));
    }

    @Test
    void metadataKeepsModelParametersRolesAndCharacterCountsButNoText() {
        String stored = content(Mode.METADATA, NO_LIMIT).request(tree(REQUEST));

        assertThat(tree(stored)).isEqualTo(tree("""
                {"model": "mock-1",
                 "parameters": {"temperature": 0.2, "max_tokens": 50, "stream": false,
                                "stream_options": {"include_usage": true}, "response_format": {"type": "json_schema"},
                                "tool_choice": "auto", "reasoning_effort": "low", "seed": 123,
                                "logit_bias": {"50256": -100}},
                 "tool_count": 1,
                 "message_count": 5,
                 "messages": [{"role": "system", "content_chars": 38},
                              {"role": "user", "content_chars": 69},
                              {"role": "assistant", "content_chars": 0, "tool_calls": 1},
                              {"role": "tool", "content_chars": 52},
                              {"role": "user", "content_chars": 12, "content_parts": 2}]}"""));
        assertThat(stored).doesNotContain(TEXT);
    }

    @Test
    void metadataOfAResponseKeepsItsIdentityUsageAndHowEachChoiceEndedButNoText() {
        String stored = content(Mode.METADATA, NO_LIMIT).response(tree(RESPONSE));

        assertThat(tree(stored)).isEqualTo(tree("""
                {"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "mock-1",
                 "system_fingerprint": "fp",
                 "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
                           "prompt_tokens_details": {"cached_tokens": 2},
                           "completion_tokens_details": {"reasoning_tokens": 0}},
                 "choice_count": 3,
                 "choices": [{"index": 0, "finish_reason": "stop", "role": "assistant", "content_chars": 35},
                             {"index": 1, "finish_reason": "tool_calls", "role": "assistant", "content_chars": 0,
                              "tool_calls": 1},
                             {"index": 2, "finish_reason": "stop", "role": "assistant", "content_chars": 0,
                              "refusal_chars": 22}]}"""));
        assertThat(stored).doesNotContain(TEXT);
    }

    @Test
    void metadataOfAnErrorKeepsItsTypeAndCodeButNotItsMessage() {
        String stored = content(Mode.METADATA, NO_LIMIT).response(tree("""
                {"error": {"message": "No account for jane.doe@example.com", "type": "invalid_request_error",
                           "param": "messages", "code": "account_missing"}}"""));

        assertThat(tree(stored)).isEqualTo(tree("""
                {"error": {"type": "invalid_request_error", "code": "account_missing"}}"""));
    }

    @Test
    void metadataOfSomethingOtherThanAnObjectIsEmpty() {
        HistoryContent metadata = content(Mode.METADATA, NO_LIMIT);

        assertThat(metadata.request(tree("[\"jane.doe@example.com\"]"))).isEqualTo("{}");
        assertThat(metadata.response(tree("\"all the text\""))).isEqualTo("{}");
    }

    @Test
    void redactedBlanksEmailsAndCardNumbersInEveryStringValue() {
        HistoryContent redacted = content(Mode.REDACTED, NO_LIMIT);

        JsonNode request = tree(redacted.request(tree(REQUEST)));
        JsonNode response = tree(redacted.response(tree(RESPONSE)));

        assertThat(request).isEqualTo(tree(REQUEST
                .replace("jane.doe@example.com", "[REDACTED]")
                .replace("alice@example.com", "[REDACTED]")
                .replace("account of bob@example.org", "account of [REDACTED]")
                .replace("4111 1111 1111 1111", "[REDACTED]")
                .replace("4111-1111-1111-1111", "[REDACTED]")
                .replace("5500 0000 0000 0004", "[REDACTED]")));
        // Names of fields are not values: the logit_bias key stays.
        assertThat(request.path("logit_bias").has("bob@example.org")).isTrue();
        assertThat(request.path("messages").get(1).path("content").asText())
                .isEqualTo("My email is [REDACTED] and my card is [REDACTED] 😀");
        assertThat(request.path("messages").get(2).path("tool_calls").get(0).path("function").path("arguments")
                .asText()).isEqualTo("{\"email\": \"[REDACTED]\"}");
        assertThat(response).isEqualTo(tree(RESPONSE.replace("jane.doe@example.com", "[REDACTED]")));
    }

    @Test
    void redactedLeavesTextThatOnlyLooksAlike() {
        String text = "call 1234 5678, order 123456789012, mail root@localhost, version 1.2.3, a@b.c";

        JsonNode stored = tree(content(Mode.REDACTED, NO_LIMIT).request(message(text)));

        assertThat(stored.path("messages").get(0).path("content").asText()).isEqualTo(text);
    }

    @Test
    void redactedUsesTheConfiguredPatternsInsteadOfTheDefaults() {
        HistoryContent keysOnly = new HistoryContent(Mode.REDACTED, List.of(Pattern.compile("sk-[A-Za-z0-9]{8,}")),
                NO_LIMIT, MAPPER);

        JsonNode stored = tree(keysOnly.request(message("key sk-abcdef123456 of jane.doe@example.com")));

        assertThat(stored.path("messages").get(0).path("content").asText())
                .isEqualTo("key [REDACTED] of jane.doe@example.com");
    }

    @Test
    void redactingLongNearMissesTakesLinearTime() {
        String text = "a".repeat(500_000) + " " + "1".repeat(500_000) + " " + "a.".repeat(250_000) + "@"
                + "b".repeat(50_000) + " x@" + "b.".repeat(100_000) + " " + "1-2-3-4-5-6-7-8-9-0-1-2x ".repeat(25_000)
                + " jane.doe@example.com 4111 1111 1111 1111";
        HistoryContent redacted = content(Mode.REDACTED, NO_LIMIT);

        String stored = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> redacted.request(message(text)));

        assertThat(tree(stored).path("messages").get(0).path("content").asText())
                .endsWith(" [REDACTED] [REDACTED]")
                .hasSize(text.length() - "jane.doe@example.com 4111 1111 1111 1111".length() + 21);
    }

    @ParameterizedTest
    @EnumSource(names = {"FULL", "REDACTED"})
    void anOversizedBodyIsStoredAsItsMetadataMarkedTruncated(Mode mode) {
        ObjectNode body = (ObjectNode) tree(REQUEST);
        ((ObjectNode) body.withArray("messages").get(1)).put("content", "jane.doe@example.com ".repeat(500));
        String untruncated = content(mode, NO_LIMIT).request(body);

        String stored = content(mode, 1024).request(body);

        assertThat(bytes(untruncated)).isGreaterThan(1024);
        assertThat(bytes(stored)).isLessThanOrEqualTo(1024);
        JsonNode json = tree(stored);
        assertThat(json.path("truncated").asBoolean()).isTrue();
        assertThat(json.path("original_bytes").asLong()).isEqualTo(bytes(untruncated));
        ObjectNode metadata = (ObjectNode) tree(content(Mode.METADATA, NO_LIMIT).request(body));
        assertThat(json).isEqualTo(tree(metadata.put("truncated", true).put("original_bytes", bytes(untruncated))
                .toString()));
        assertThat(stored).doesNotContain(TEXT);
    }

    @Test
    void oversizedMetadataKeepsOnlyItsCounts() {
        ObjectNode body = (ObjectNode) tree(REQUEST);
        for (int i = 0; i < 100; i++) {
            body.withArray("messages").addObject().put("role", "assistant").put("content", "jane.doe@example.com");
        }
        String untruncated = content(Mode.METADATA, NO_LIMIT).request(body);

        String stored = content(Mode.METADATA, 1024).request(body);

        assertThat(bytes(untruncated)).isGreaterThan(1024);
        ObjectNode counts = (ObjectNode) tree(untruncated);
        counts.remove("messages");
        assertThat(tree(stored)).isEqualTo(tree(counts.put("truncated", true).put("original_bytes", bytes(untruncated))
                .toString()));
        assertThat(tree(stored).path("message_count").asInt()).isEqualTo(105);
    }

    @Test
    void anOversizedResponseKeepsItsUsage() {
        ObjectNode body = (ObjectNode) tree(RESPONSE);
        ((ObjectNode) body.withArray("choices").get(0).path("message")).put("content", "x".repeat(5000));

        JsonNode stored = tree(content(Mode.FULL, 1024).response(body));

        assertThat(stored.path("truncated").asBoolean()).isTrue();
        assertThat(stored.path("usage").path("total_tokens").asLong()).isEqualTo(15);
        assertThat(stored.path("choices").get(0).path("content_chars").asLong()).isEqualTo(5000);
    }

    @Test
    void whenEvenTheMetadataIsTooLargeOnlyTheCountsAreKept() {
        ObjectNode body = MAPPER.createObjectNode().put("model", "mock-1");
        ArrayNode messages = body.putArray("messages");
        for (int i = 0; i < 2000; i++) {
            messages.addObject().put("role", "user").put("content", "hi");
        }

        String stored = content(Mode.FULL, 1024).request(body);

        assertThat(bytes(stored)).isLessThanOrEqualTo(1024);
        assertThat(tree(stored)).isEqualTo(tree("""
                {"truncated": true, "original_bytes": %d, "model": "mock-1", "parameters": {}, "message_count": 2000}"""
                .formatted(bytes(content(Mode.FULL, NO_LIMIT).request(body)))));
    }

    @Test
    void whenEvenTheCountsAreTooLargeOnlyTheMarkIsKept() {
        JsonNode body = tree("{\"model\": \"" + "m".repeat(3000) + "\", \"messages\": []}");

        String stored = content(Mode.REDACTED, 1024).request(body);

        assertThat(tree(stored)).isEqualTo(tree("{\"truncated\": true, \"original_bytes\": %d}"
                .formatted(bytes(content(Mode.REDACTED, NO_LIMIT).request(body)))));
    }

    @Test
    void noBodyStoresNothing() {
        for (Mode mode : Mode.values()) {
            assertThat(content(mode, NO_LIMIT).request(null)).isNull();
            assertThat(content(mode, NO_LIMIT).response(null)).isNull();
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void everyModeWritesJsonThatJsonbAccepts(Mode mode) {
        // U+0000 is valid JSON but not jsonb; a lone surrogate is valid JSON escaped, but not valid text.
        JsonNode body = tree("""
                {"model": "mock-1", "nul\\u0000key": "a\\u0000b", "lone": "x\\ud800y", "emoji": "😀",
                 "messages": [{"role": "user", "content": "jane.doe@example.com \\u0000 \\udfff"}]}""");

        for (String stored : List.of(content(mode, NO_LIMIT).request(body), content(mode, NO_LIMIT).response(body),
                content(mode, 1024).request(tree("{\"messages\": [{\"role\": \"user\", \"content\": \"\\u0000"
                        + "x".repeat(2000) + "\"}]}")))) {
            String roundTrip = JDBI.withHandle(handle -> handle.createQuery("SELECT CAST(:json AS jsonb)::text")
                    .bind("json", stored).mapTo(String.class).one());
            assertThat(tree(roundTrip)).isNotNull();
            assertThat(roundTrip).doesNotContain("\\u0000");
        }
    }

    @Test
    void theFactoryReadsTheModeAndRefusesPatternsThatDoNotCompile() throws Exception {
        HistoryFactory factory = MAPPER.readValue("""
                {"content": "redacted", "redactPatterns": ["secret-[0-9]+"], "maxStoredBytes": "2KiB"}""",
                HistoryFactory.class);
        HistoryFactory defaults = new HistoryFactory();
        HistoryFactory broken = MAPPER.readValue("{\"redactPatterns\": [\"([a-z\"]}",
                HistoryFactory.class);

        assertThat(factory.getContent()).isEqualTo(Mode.REDACTED);
        assertThat(factory.getMaxStoredBytes()).isEqualTo(DataSize.kibibytes(2));
        assertThat(tree(factory.buildContent(MAPPER).request(message("secret-42 jane.doe@example.com")))
                .path("messages").get(0).path("content").asText()).isEqualTo("[REDACTED] jane.doe@example.com");
        assertThat(defaults.getContent()).isEqualTo(Mode.FULL);
        assertThat(tree(defaults.buildContent(MAPPER).request(message("jane.doe@example.com"))).path("messages").get(0)
                .path("content").asText()).isEqualTo("jane.doe@example.com");
        assertThat(Validators.newValidator().validate(factory)).isEmpty();
        assertThat(Validators.newValidator().validate(defaults)).isEmpty();
        Set<ConstraintViolation<HistoryFactory>> violations = Validators.newValidator().validate(broken);
        assertThat(violations).extracting(ConstraintViolation::getMessage)
                .containsExactly("every history.redactPatterns entry must be a valid regular expression");
    }

    private static HistoryContent content(Mode mode, long maxStoredBytes) {
        HistoryFactory defaults = new HistoryFactory();
        defaults.setContent(mode);
        defaults.setMaxStoredBytes(DataSize.bytes(maxStoredBytes));
        return defaults.buildContent(MAPPER);
    }

    private static JsonNode message(String text) {
        ObjectNode body = MAPPER.createObjectNode().put("model", "mock-1");
        body.putArray("messages").addObject().put("role", "user").put("content", text);
        return body;
    }

    private static JsonNode tree(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    private static long bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }
}
