package org.aigateway.gateway.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dropwizard.util.Duration;
import org.aigateway.gateway.FakeAnthropicUpstream;
import org.aigateway.gateway.FakeUpstream.Ending;
import org.aigateway.gateway.FakeUpstream.Reply;
import org.aigateway.gateway.FakeUpstream.Streamed;
import org.aigateway.gateway.model.Pricing;
import org.aigateway.support.errors.ApiException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import static org.aigateway.gateway.FakeAnthropicUpstream.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The Anthropic provider against a local stand-in for the Messages API: translation both ways, streams, errors. */
class AnthropicProviderTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final FakeAnthropicUpstream UPSTREAM = FakeAnthropicUpstream.start();
    private static final java.time.Duration WAIT = java.time.Duration.ofSeconds(10);
    // Any variable set wherever the tests run will do as the source of the key.
    private static final String KEY_ENV = "PATH";

    private final ChatProvider provider = provider(4096);

    @AfterAll
    static void stopUpstream() {
        UPSTREAM.close();
    }

    @Test
    void requestIsTranslatedToTheMessagesApi() throws Exception {
        UPSTREAM.willAnswer(200, FakeAnthropicUpstream.message("Hi", "end_turn", 10, 0, 0, 2));

        provider.complete(object("""
                {"model": "claude-sonnet-4-5", "max_completion_tokens": 300, "max_tokens": 99, "temperature": 0.2,
                 "top_p": 0.9, "stop": "END", "user": "end-user-9", "seed": 7, "frequency_penalty": 0.5,
                 "messages": [
                   {"role": "system", "content": "Be brief."},
                   {"role": "user", "content": "Hello"},
                   {"role": "assistant", "content": "Hi! How can I help?"},
                   {"role": "developer", "content": [{"type": "text", "text": "Answer in German."}]},
                   {"role": "user", "content": [{"type": "text", "text": "What is"},
                                                {"type": "text", "text": "this?"},
                                                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                                                {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}]},
                   {"role": "user", "content": "Quickly."}]}"""));

        FakeAnthropicUpstream.Received sent = UPSTREAM.onlyRequest();
        assertThat(sent.body()).isEqualTo(json("""
                {"model": "claude-sonnet-4-5", "max_tokens": 300,
                 "messages": [
                   {"role": "user", "content": [{"type": "text", "text": "Hello"}]},
                   {"role": "assistant", "content": [{"type": "text", "text": "Hi! How can I help?"}]},
                   {"role": "user", "content": [{"type": "text", "text": "What is"},
                                                {"type": "text", "text": "this?"},
                                                {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                                             "data": "iVBORw0KGgo="}},
                                                {"type": "image", "source": {"type": "url",
                                                                             "url": "https://example.com/cat.jpg"}},
                                                {"type": "text", "text": "Quickly."}]}],
                 "system": [{"type": "text", "text": "Be brief."}, {"type": "text", "text": "Answer in German."}],
                 "temperature": 0.2, "top_p": 0.9, "stop_sequences": ["END"],
                 "metadata": {"user_id": "end-user-9"}}"""));
        assertThat(sent.header("x-api-key")).isEqualTo(System.getenv(KEY_ENV));
        assertThat(sent.header("anthropic-version")).isEqualTo("2023-06-01");
        assertThat(sent.header("content-type")).isEqualTo("application/json");
        assertThat(sent.headers()).doesNotContainKey("authorization");
    }

    @Test
    void requestWithoutALimitGetsTheConfiguredDefault() throws Exception {
        UPSTREAM.willAnswer(200, FakeAnthropicUpstream.message("Hi", "end_turn", 10, 0, 0, 2));

        provider(777).complete(object("""
                {"model": "claude-x", "stop": ["a", "b"], "messages": [{"role": "user", "content": "Hello"}]}"""));

        JsonNode sent = UPSTREAM.onlyRequest().body();
        assertThat(sent.path("max_tokens").asLong()).isEqualTo(777);
        assertThat(sent.path("stop_sequences")).isEqualTo(json("[\"a\", \"b\"]"));
        assertThat(sent.has("system")).isFalse();
        assertThat(sent.has("stream")).isFalse();
    }

    @Test
    void answerIsTranslatedBackWithEveryPromptTokenCountedAndPricedByKind() throws Exception {
        UPSTREAM.willAnswer(200, """
                {"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
                 "content": [{"type": "thinking", "thinking": "hmm", "signature": "x"},
                             {"type": "text", "text": "Hallo "}, {"type": "text", "text": "Welt 👋"}],
                 "stop_reason": "end_turn", "stop_sequence": null,
                 "usage": {"input_tokens": 1200, "cache_read_input_tokens": 30000, "cache_creation_input_tokens": 2000,
                           "output_tokens": 450}}""");

        ProviderResponse response = provider.complete(object("""
                {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "Hello"}]}"""));

        ObjectNode body = response.body();
        assertThat(body.path("id").asText()).isEqualTo("msg_01");
        assertThat(body.path("object").asText()).isEqualTo("chat.completion");
        assertThat(body.path("created").asLong()).isCloseTo(System.currentTimeMillis() / 1000,
                org.assertj.core.data.Offset.offset(5L));
        assertThat(body.path("model").asText()).isEqualTo("claude-sonnet-4-5-20250929");
        JsonNode choice = body.path("choices").get(0);
        assertThat(body.path("choices").size()).isEqualTo(1);
        assertThat(choice.path("index").asInt()).isZero();
        assertThat(choice.path("message")).isEqualTo(json("""
                {"role": "assistant", "content": "Hallo Welt 👋", "refusal": null}"""));
        assertThat(choice.path("finish_reason").asText()).isEqualTo("stop");
        assertThat(json(body.path("usage").toString())).isEqualTo(json("""
                {"prompt_tokens": 33200, "completion_tokens": 450, "total_tokens": 33650,
                 "prompt_tokens_details": {"cached_tokens": 30000},
                 "completion_tokens_details": {"reasoning_tokens": 0}}"""));
        assertThat(response.usage()).isEqualTo(new TokenUsage(33200, 450, 33650, 30000, 2000));

        Pricing sonnet = new Pricing(new BigDecimal("3.00"), new BigDecimal("0.30"), new BigDecimal("15.00"));
        sonnet.setCacheWriteInput(new BigDecimal("3.75"));
        // 1200 × 3 + 30000 × 0.30 + 2000 × 3.75 + 450 × 15, per million.
        assertThat(sonnet.cost(response.usage())).isEqualByComparingTo("0.02685");
    }

    @ParameterizedTest
    @CsvSource({"end_turn, stop", "stop_sequence, stop", "max_tokens, length", "refusal, content_filter",
            "pause_turn, stop"})
    void stopReasonsBecomeFinishReasons(String stopReason, String finishReason) throws Exception {
        UPSTREAM.willAnswer(200, FakeAnthropicUpstream.message("Hi", stopReason, 10, 0, 0, 2));

        ProviderResponse response = provider.complete(object("""
                {"model": "claude-x", "messages": [{"role": "user", "content": "Hello"}]}"""));

        assertThat(response.body().path("choices").get(0).path("finish_reason").asText()).isEqualTo(finishReason);
    }

    @Test
    void toolsCallsAndResultsAreTranslatedBothWays() throws Exception {
        UPSTREAM.willAnswer(200, """
                {"id": "msg_02", "type": "message", "role": "assistant", "model": "claude-x",
                 "content": [{"type": "text", "text": "Let me check."},
                             {"type": "tool_use", "id": "toolu_02", "name": "get_weather",
                              "input": {"city": "Paris", "unit": "c"}}],
                 "stop_reason": "tool_use", "stop_sequence": null,
                 "usage": {"input_tokens": 50, "output_tokens": 20}}""");

        ProviderResponse response = provider.complete(object("""
                {"model": "claude-x", "tool_choice": "required", "parallel_tool_calls": false,
                 "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather now",
                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
                 "messages": [
                   {"role": "user", "content": "Weather in Berlin and Paris?"},
                   {"role": "assistant", "content": null, "tool_calls": [
                     {"id": "toolu_01", "type": "function",
                      "function": {"name": "get_weather", "arguments": "{\\"city\\": \\"Berlin\\"}"}}]},
                   {"role": "tool", "tool_call_id": "toolu_01", "content": "12°C, rain"}]}"""));

        JsonNode sent = UPSTREAM.onlyRequest().body();
        assertThat(sent.path("tools")).isEqualTo(json("""
                [{"name": "get_weather", "description": "Weather now",
                  "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]"""));
        assertThat(sent.path("tool_choice")).isEqualTo(json("""
                {"type": "any", "disable_parallel_tool_use": true}"""));
        assertThat(sent.path("messages")).isEqualTo(json("""
                [{"role": "user", "content": [{"type": "text", "text": "Weather in Berlin and Paris?"}]},
                 {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_01", "name": "get_weather",
                                                    "input": {"city": "Berlin"}}]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01",
                                               "content": [{"type": "text", "text": "12°C, rain"}]}]}]"""));
        JsonNode choice = response.body().path("choices").get(0);
        assertThat(choice.path("finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(choice.path("message").path("content").asText()).isEqualTo("Let me check.");
        JsonNode call = choice.path("message").path("tool_calls").get(0);
        assertThat(call.path("id").asText()).isEqualTo("toolu_02");
        assertThat(call.path("type").asText()).isEqualTo("function");
        assertThat(call.path("function").path("name").asText()).isEqualTo("get_weather");
        assertThat(json(call.path("function").path("arguments").asText())).isEqualTo(json("""
                {"city": "Paris", "unit": "c"}"""));
    }

    @Test
    void whatTheMessagesApiCannotExpressIsRefusedWithoutCallingIt() {
        UPSTREAM.willAnswer(200, FakeAnthropicUpstream.message("Hi", "end_turn", 10, 0, 0, 2));

        UpstreamException several = catchThrowableOfType(() -> provider.complete(object("""
                {"model": "claude-x", "n": 2, "messages": [{"role": "user", "content": "Hello"}]}""")),
                UpstreamException.class);
        UpstreamException audio = catchThrowableOfType(() -> provider.complete(object("""
                {"model": "claude-x", "messages": [{"role": "user", "content": [
                   {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}]}]}""")),
                UpstreamException.class);

        assertThat(several.clientError().getStatus()).isEqualTo(400);
        assertThat(several.clientError().getParam()).isEqualTo("n");
        assertThat(audio.clientError().getStatus()).isEqualTo(400);
        assertThat(audio.clientError().getParam()).isEqualTo("messages[0].content[0].type");
        assertThat(audio.clientError().getType()).isEqualTo("invalid_request_error");
        assertThat(UPSTREAM.received()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({
            "400, invalid_request_error, 400, invalid_request_error",
            "401, authentication_error, 502, api_error",
            "403, permission_error, 502, api_error",
            "404, not_found_error, 404, not_found_error",
            "413, request_too_large, 413, invalid_request_error",
            "429, rate_limit_error, 429, rate_limit_error",
            "500, api_error, 500, api_error",
            "529, overloaded_error, 503, api_error"})
    void errorAnswersBecomeOpenAiErrorsTheSameWayForPlainAndStreamedCalls(int status, String anthropicType,
                                                                        int clientStatus, String openAiType) {
        UPSTREAM.willAnswer(status, FakeAnthropicUpstream.error(anthropicType, "Details from upstream, key sk-ant-x1."));
        RecordingListener listener = new RecordingListener();

        UpstreamException plain = catchThrowableOfType(() -> provider.complete(request(false)), UpstreamException.class);
        provider.stream(request(true), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.kinds()).containsExactly("error");
        for (UpstreamException error : List.of(plain, listener.error())) {
            ApiException client = error.clientError();
            assertThat(client.getStatus()).isEqualTo(clientStatus);
            assertThat(client.getType()).isEqualTo(openAiType);
            assertThat(error.upstreamStatus()).isEqualTo(status);
            if (clientStatus == 502) {
                assertThat(client.getCode()).isEqualTo("upstream_auth_failed");
                assertThat(client.getMessage()).doesNotContain("sk-ant-x1");
            } else {
                assertThat(client.getCode()).isEqualTo(anthropicType);
                assertThat(client.getMessage()).isEqualTo("Details from upstream, key sk-ant-x1.");
            }
        }
    }

    @Test
    void errorAnswerThatIsNotJsonKeepsItsStatus() {
        UPSTREAM.willAnswer(new Reply(502, "text/html", "<html>Bad Gateway</html>", java.time.Duration.ZERO, Map.of()));

        UpstreamException error = catchThrowableOfType(() -> provider.complete(request(false)), UpstreamException.class);

        assertThat(error.clientError().getStatus()).isEqualTo(502);
        assertThat(error.clientError().getMessage()).doesNotContain("<html>");
        assertThat(error.upstreamStatus()).isEqualTo(502);
    }

    @Test
    void streamIsTranslatedToOpenAiChunksWithExactUsage() throws Exception {
        UPSTREAM.willAnswer(Streamed.events(java.time.Duration.ofMillis(10), List.of(
                event("message_start", """
                        {"type": "message_start", "message": {"id": "msg_03", "type": "message", "role": "assistant",
                         "content": [], "model": "claude-sonnet-4-5-20250929", "stop_reason": null,
                         "stop_sequence": null, "usage": {"input_tokens": 25, "cache_creation_input_tokens": 50,
                         "cache_read_input_tokens": 100, "output_tokens": 1}}}"""),
                event("content_block_start", """
                        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}"""),
                event("ping", "{\"type\": \"ping\"}"),
                event("content_block_delta", """
                        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hal"}}"""),
                event("content_block_delta", """
                        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo 👋"}}"""),
                event("content_block_stop", "{\"type\": \"content_block_stop\", \"index\": 0}"),
                event("message_delta", """
                        {"type": "message_delta", "delta": {"stop_reason": "max_tokens", "stop_sequence": null},
                         "usage": {"output_tokens": 15}}"""),
                event("message_stop", "{\"type\": \"message_stop\"}")), Ending.FINISH));
        RecordingListener listener = new RecordingListener();

        provider.stream(request(true), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.kinds()).containsExactly("open", "chunk", "chunk", "chunk", "chunk", "chunk", "usage",
                "complete");
        List<ObjectNode> chunks = listener.chunks();
        assertThat(json(chunks.get(0).toString())).isEqualTo(json("""
                {"id": "msg_03", "object": "chat.completion.chunk", "created": %d,
                 "model": "claude-sonnet-4-5-20250929",
                 "choices": [{"index": 0, "delta": {"role": "assistant", "content": "", "refusal": null},
                              "logprobs": null, "finish_reason": null}],
                 "usage": null}""".formatted(chunks.get(0).path("created").asLong())));
        assertThat(listener.content(0)).isEqualTo("Hallo 👋");
        assertThat(chunks.get(3).path("choices").get(0).path("finish_reason").asText()).isEqualTo("length");
        assertThat(chunks.get(3).path("choices").get(0).path("delta").size()).isZero();
        assertThat(chunks.get(4).path("choices").size()).isZero();
        assertThat(json(chunks.get(4).path("usage").toString())).isEqualTo(json("""
                {"prompt_tokens": 175, "completion_tokens": 15, "total_tokens": 190,
                 "prompt_tokens_details": {"cached_tokens": 100},
                 "completion_tokens_details": {"reasoning_tokens": 0}}"""));
        assertThat(listener.usage()).isEqualTo(new TokenUsage(175, 15, 190, 100, 50));
        assertThat(chunks).allSatisfy(chunk -> assertThat(chunk.path("id").asText()).isEqualTo("msg_03"));

        FakeAnthropicUpstream.Received sent = UPSTREAM.onlyRequest();
        assertThat(sent.body().path("stream").asBoolean()).isTrue();
        assertThat(sent.body().has("stream_options")).isFalse();
        assertThat(sent.header("accept")).isEqualTo("text/event-stream");
    }

    @Test
    void streamedToolUseBecomesToolCallChunks() {
        UPSTREAM.willAnswer(Streamed.events(java.time.Duration.ZERO, List.of(
                event("message_start", """
                        {"type": "message_start", "message": {"id": "msg_04", "model": "claude-x",
                         "usage": {"input_tokens": 40, "output_tokens": 1}}}"""),
                event("content_block_start", """
                        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}"""),
                event("content_block_delta", """
                        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Checking."}}"""),
                event("content_block_stop", "{\"type\": \"content_block_stop\", \"index\": 0}"),
                event("content_block_start", """
                        {"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use",
                         "id": "toolu_05", "name": "get_weather", "input": {}}}"""),
                event("content_block_delta", """
                        {"type": "content_block_delta", "index": 1,
                         "delta": {"type": "input_json_delta", "partial_json": "{\\"city\\": "}}"""),
                event("content_block_delta", """
                        {"type": "content_block_delta", "index": 1,
                         "delta": {"type": "input_json_delta", "partial_json": "\\"Paris\\"}"}}"""),
                event("content_block_stop", "{\"type\": \"content_block_stop\", \"index\": 1}"),
                event("message_delta", """
                        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 30}}"""),
                event("message_stop", "{\"type\": \"message_stop\"}")), Ending.FINISH));
        RecordingListener listener = new RecordingListener();

        provider.stream(request(true), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.completed()).isTrue();
        List<JsonNode> calls = listener.chunks().stream()
                .map(chunk -> chunk.path("choices").path(0).path("delta").path("tool_calls"))
                .filter(JsonNode::isArray).map(array -> array.get(0)).toList();
        assertThat(calls).hasSize(3);
        assertThat(json(calls.get(0).toString())).isEqualTo(json("""
                {"index": 0, "id": "toolu_05", "type": "function",
                 "function": {"name": "get_weather", "arguments": ""}}"""));
        assertThat(json(calls.get(1).toString())).isEqualTo(json("{\"index\": 0, \"function\": {\"arguments\": \"{\\\"city\\\": \"}}"));
        StringBuilder arguments = new StringBuilder();
        calls.forEach(call -> arguments.append(call.path("function").path("arguments").asText()));
        assertThat(arguments.toString()).isEqualTo("{\"city\": \"Paris\"}");
        assertThat(listener.content(0)).isEqualTo("Checking.");
        ObjectNode finish = listener.chunks().get(listener.chunks().size() - 2);
        assertThat(finish.path("choices").get(0).path("finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(listener.usage()).isEqualTo(new TokenUsage(40, 30, 70, 0, 0));
    }

    @Test
    void overloadedErrorEventMidStreamEndsItAsServiceUnavailable() {
        UPSTREAM.willAnswer(Streamed.events(java.time.Duration.ZERO, List.of(
                event("message_start", """
                        {"type": "message_start", "message": {"id": "msg_05", "model": "claude-x",
                         "usage": {"input_tokens": 40, "output_tokens": 1}}}"""),
                event("error", """
                        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}""")),
                Ending.HANG));
        RecordingListener listener = new RecordingListener();

        provider.stream(request(true), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.kinds()).containsExactly("open", "chunk", "error");
        assertThat(listener.error().clientError().getStatus()).isEqualTo(503);
        assertThat(listener.error().clientError().getCode()).isEqualTo("overloaded_error");
        assertThat(listener.error().getMessage()).isEqualTo("Overloaded");
        assertThat(listener.error().upstreamStatus()).isEqualTo(529);
    }

    @Test
    void streamCutBeforeMessageStopIsBroken() {
        UPSTREAM.willAnswer(Streamed.events(java.time.Duration.ZERO, List.of(
                event("message_start", """
                        {"type": "message_start", "message": {"id": "msg_06", "model": "claude-x",
                         "usage": {"input_tokens": 40, "output_tokens": 1}}}"""),
                event("content_block_delta", """
                        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hal"}}""")),
                Ending.DROP));
        RecordingListener listener = new RecordingListener();

        provider.stream(request(true), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.kinds()).containsExactly("open", "chunk", "chunk", "error");
        assertThat(listener.error().clientError().getCode()).isEqualTo("upstream_stream_broken");
        assertThat(listener.usage()).isNull();
    }

    @Test
    void requestTheMessagesApiCannotExpressIsRefusedBeforeAStreamOpens() {
        UPSTREAM.willAnswer(200, "{}");
        ObjectNode request = request(true);
        request.put("n", 3);
        RecordingListener listener = new RecordingListener();

        provider.stream(request, listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.kinds()).containsExactly("error");
        assertThat(listener.error().clientError().getStatus()).isEqualTo(400);
        assertThat(UPSTREAM.received()).isEmpty();
    }

    private static ChatProvider provider(long defaultMaxTokens) {
        AnthropicProviderFactory factory = new AnthropicProviderFactory();
        factory.setBaseUrl(UPSTREAM.baseUrl() + "/");
        factory.setApiKeyEnv(KEY_ENV);
        factory.setReadTimeout(Duration.seconds(1));
        factory.setDefaultMaxTokens(defaultMaxTokens);
        return factory.build("anthropic", MAPPER, new UpstreamConnectionsFactory());
    }

    private static ObjectNode request(boolean stream) {
        ObjectNode request = object("""
                {"model": "claude-x", "messages": [{"role": "user", "content": "Hello"}]}""");
        if (stream) {
            request.put("stream", true);
            request.putObject("stream_options").put("include_usage", true);
        }
        return request;
    }

    private static ObjectNode object(String text) {
        return (ObjectNode) json(text);
    }

    private static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException(text, e);
        }
    }
}
