package org.aigateway.gateway.provider;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dropwizard.util.Duration;
import org.aigateway.gateway.FakeOpenAiUpstream;
import org.aigateway.gateway.FakeUpstream.Ending;
import org.aigateway.gateway.FakeUpstream.Piece;
import org.aigateway.gateway.FakeUpstream.Reply;
import org.aigateway.gateway.FakeUpstream.Streamed;
import org.aigateway.support.errors.ApiException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/** Streams from an OpenAI-compatible upstream, played by a local HTTP server that writes Server-Sent Events. */
class OpenAiCompatibleProviderStreamTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final FakeOpenAiUpstream UPSTREAM = FakeOpenAiUpstream.start();
    private static final java.time.Duration WAIT = java.time.Duration.ofSeconds(10);
    private static final java.time.Duration NO_PAUSE = java.time.Duration.ZERO;

    private final ChatProvider provider = provider(UPSTREAM.baseUrl(), Duration.seconds(1));

    @AfterAll
    static void stopUpstream() {
        UPSTREAM.close();
    }

    @Test
    void chunksArePassedOnInOrderAndTheUsageChunkIsReported() throws Exception {
        List<String> chunks = List.of(
                chunk("{\"role\": \"assistant\", \"content\": \"\", \"refusal\": null}", null),
                chunk("{\"content\": \"Hal\"}", null),
                chunk("{\"content\": \"lo 👋\"}", null),
                chunk("{}", "\"stop\""),
                usageChunk(1234, 1000, 567));
        UPSTREAM.willAnswer(Streamed.events(java.time.Duration.ofMillis(20), FakeOpenAiUpstream.sse(chunks),
                Ending.FINISH));
        RecordingListener listener = new RecordingListener();

        provider.stream(request(), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.kinds()).containsExactly("open", "chunk", "chunk", "chunk", "chunk", "chunk", "usage",
                "complete");
        List<ObjectNode> expected = new ArrayList<>();
        for (String chunk : chunks) {
            expected.add((ObjectNode) MAPPER.readTree(chunk));
        }
        assertThat(listener.chunks()).containsExactlyElementsOf(expected);
        assertThat(listener.content(0)).isEqualTo("Hallo 👋");
        assertThat(listener.usage()).isEqualTo(new TokenUsage(1234, 567, 1801, 1000, 0));
        FakeOpenAiUpstream.Received sent = UPSTREAM.onlyRequest();
        assertThat(sent.header("accept")).isEqualTo("text/event-stream");
        assertThat(sent.body().path("stream").asBoolean()).isTrue();
        assertThat(sent.body().path("stream_options").path("include_usage").asBoolean()).isTrue();
        assertThat(sent.body().path("model").asText()).isEqualTo("upstream-model-x");
    }

    @Test
    void usageChunkIsReportedEvenWhenTheConnectionDropsBeforeDone() {
        UPSTREAM.willAnswer(Streamed.events(NO_PAUSE, List.of(
                "data: " + chunk("{\"role\": \"assistant\", \"content\": \"Hi\"}", null) + "\n\n",
                "data: " + chunk("{}", "\"stop\"") + "\n\n",
                "data: " + usageChunk(40, 0, 2) + "\n\n"), Ending.DROP));
        RecordingListener listener = new RecordingListener();

        provider.stream(request(), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.kinds()).containsExactly("open", "chunk", "chunk", "chunk", "usage", "error");
        assertThat(listener.usage()).isEqualTo(new TokenUsage(40, 2, 42, 0, 0));
    }

    @Test
    void usageRepeatedOnEveryChunkIsReportedOnceWithTheLastCounts() {
        List<String> chunks = List.of(
                chunk("{\"role\": \"assistant\", \"content\": \"a\"}", null)
                        .replace("\"usage\": null", "\"usage\": {\"prompt_tokens\": 9, \"completion_tokens\": 1}"),
                chunk("{\"content\": \"b\"}", null)
                        .replace("\"usage\": null", "\"usage\": {\"prompt_tokens\": 9, \"completion_tokens\": 2}"),
                chunk("{}", "\"stop\"")
                        .replace("\"usage\": null", "\"usage\": {\"prompt_tokens\": 9, \"completion_tokens\": 3}"));
        UPSTREAM.willAnswer(Streamed.events(NO_PAUSE, FakeOpenAiUpstream.sse(chunks), Ending.FINISH));
        RecordingListener listener = new RecordingListener();

        provider.stream(request(), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.kinds()).containsExactly("open", "chunk", "chunk", "chunk", "usage", "complete");
        assertThat(listener.usage()).isEqualTo(new TokenUsage(9, 3, 12, 0, 0));
    }

    @Test
    void eventsAreFramedByTheServerSentEventRules() {
        String role = chunk("{\"role\": \"assistant\", \"content\": \"\"}", null);
        String content = chunk("{\"content\": \"a\\nb\"}", null);
        int between = content.indexOf("\"object\"");
        // CRLF and CR line ends, comments, other fields, a data field without the space, one event over two data
        // lines, a named event, an event split over several network writes, and an event with no data at all.
        List<Piece> pieces = List.of(
                new Piece(NO_PAUSE, ": OPENROUTER PROCESSING\r\n\r\n"),
                new Piece(NO_PAUSE, "retry: 3000\r\nid: 1\r\ndata:" + role + "\r\n\r\n"),
                new Piece(NO_PAUSE, "event: message\ndata: " + content.substring(0, between) + "\ndata: "
                        + content.substring(between) + "\n\n"),
                new Piece(NO_PAUSE, "data: " + chunk("{\"content\": \"c\"}", null).substring(0, 9)),
                new Piece(java.time.Duration.ofMillis(50), chunk("{\"content\": \"c\"}", null).substring(9) + "\r\r"),
                new Piece(NO_PAUSE, "id: 7\n\n"),
                new Piece(NO_PAUSE, "data: " + chunk("{}", "\"stop\"") + "\n\n"),
                new Piece(NO_PAUSE, "data: " + usageChunk(5, 0, 3) + "\n\ndata: [DONE]\n\n"));
        UPSTREAM.willAnswer(new Streamed(200, "text/event-stream; charset=utf-8", pieces, Ending.FINISH));
        RecordingListener listener = new RecordingListener();

        provider.stream(request(), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.completed()).as("calls: %s, error: %s", listener.kinds(), listener.error()).isTrue();
        assertThat(listener.chunks()).hasSize(5);
        assertThat(listener.content(0)).isEqualTo("a\nbc");
        assertThat(listener.usage()).isEqualTo(new TokenUsage(5, 3, 8, 0, 0));
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 401, 403, 404, 429, 500, 503})
    void errorStatusIsRefusedBeforeOpeningExactlyAsCompleteRefusesIt(int status) {
        String body = """
                {"error": {"message": "Something about sk-upstream-secret went wrong (%d).", "type": "some_type",
                           "param": "messages", "code": "some_code"}}""".formatted(status);
        UPSTREAM.willAnswer(status, body);
        RecordingListener listener = new RecordingListener();

        provider.stream(request(), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.kinds()).containsExactly("error");
        UpstreamException plain = catchThrowableOfType(() -> provider.complete(request()), UpstreamException.class);
        assertSameError(listener.error(), plain);
        assertThat(listener.error().upstreamStatus()).isEqualTo(status);
        if (status == 401 || status == 403) {
            assertThat(listener.error().clientError().getStatus()).isEqualTo(502);
            assertThat(listener.error().clientError().getCode()).isEqualTo("upstream_auth_failed");
            assertThat(listener.error().getMessage()).doesNotContain("sk-upstream-secret");
        } else {
            assertThat(listener.error().clientError().getStatus()).isEqualTo(status);
            assertThat(listener.error().getMessage()).isEqualTo("Something about sk-upstream-secret went wrong ("
                    + status + ").");
            assertThat(listener.error().clientError().getParam()).isEqualTo("messages");
        }
    }

    @Test
    void unreachableUpstreamIsRefusedBeforeOpening() throws Exception {
        ChatProvider nowhere = provider("http://127.0.0.1:" + closedPort() + "/v1", Duration.seconds(1));
        RecordingListener listener = new RecordingListener();

        nowhere.stream(request(), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.kinds()).containsExactly("error");
        assertThat(listener.error().clientError().getStatus()).isEqualTo(502);
        assertThat(listener.error().clientError().getCode()).isEqualTo("upstream_unreachable");
        assertThat(listener.error().upstreamStatus()).isNull();
    }

    @Test
    void headersSlowerThanTheReadTimeoutAreATimeout() {
        UPSTREAM.willAnswer(new Reply(200, "text/event-stream", "data: [DONE]\n\n", java.time.Duration.ofSeconds(3),
                Map.of()));
        RecordingListener listener = new RecordingListener();
        long started = System.nanoTime();

        provider.stream(request(), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.kinds()).containsExactly("error");
        assertThat(listener.error().clientError().getStatus()).isEqualTo(504);
        assertThat(listener.error().clientError().getCode()).isEqualTo("upstream_timeout");
        assertThat((System.nanoTime() - started) / 1_000_000).isBetween(900L, 2900L);
    }

    @Test
    void connectionDroppedMidStreamIsABrokenStream() {
        UPSTREAM.willAnswer(Streamed.events(java.time.Duration.ofMillis(20), List.of(
                "data: " + chunk("{\"role\": \"assistant\", \"content\": \"\"}", null) + "\n\n",
                "data: " + chunk("{\"content\": \"Hal\"}", null) + "\n\n"), Ending.DROP));
        RecordingListener listener = new RecordingListener();

        provider.stream(request(), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.kinds()).containsExactly("open", "chunk", "chunk", "error");
        assertThat(listener.error().clientError().getStatus()).isEqualTo(502);
        assertThat(listener.error().clientError().getCode()).isEqualTo("upstream_stream_broken");
        assertThat(listener.error().upstreamStatus()).isEqualTo(200);
        assertThat(listener.error().getMessage()).contains("the connection failed");
    }

    @Test
    void streamEndingWithoutDoneIsABrokenStream() {
        UPSTREAM.willAnswer(Streamed.events(NO_PAUSE, List.of(
                "data: " + chunk("{\"role\": \"assistant\", \"content\": \"\"}", null) + "\n\n",
                "data: " + chunk("{}", "\"stop\"") + "\n\n"), Ending.FINISH));
        RecordingListener listener = new RecordingListener();

        provider.stream(request(), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.kinds()).containsExactly("open", "chunk", "chunk", "error");
        assertThat(listener.error().clientError().getCode()).isEqualTo("upstream_stream_broken");
        assertThat(listener.error().getMessage()).contains("ended before its last event");
    }

    @Test
    void silenceLongerThanTheReadTimeoutBetweenChunksIsATimeout() {
        ChatProvider impatient = provider(UPSTREAM.baseUrl(), Duration.seconds(1));
        UPSTREAM.willAnswer(Streamed.events(NO_PAUSE, List.of(
                "data: " + chunk("{\"role\": \"assistant\", \"content\": \"\"}", null) + "\n\n"), Ending.HANG));
        RecordingListener listener = new RecordingListener();

        impatient.stream(request(), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.kinds()).containsExactly("open", "chunk", "error");
        assertThat(listener.error().clientError().getStatus()).isEqualTo(504);
        assertThat(listener.error().clientError().getCode()).isEqualTo("upstream_timeout");
        RecordingListener.Call last = listener.calls().get(2);
        RecordingListener.Call chunk = listener.calls().get(1);
        assertThat((last.nanos() - chunk.nanos()) / 1_000_000).isBetween(950L, 3000L);
    }

    @Test
    void steadyStreamLastingLongerThanTheReadTimeoutIsNotCut() {
        ChatProvider impatient = provider(UPSTREAM.baseUrl(), Duration.seconds(1));
        List<String> chunks = IntStream.range(0, 8).mapToObj(i -> chunk("{\"content\": \"" + i + "\"}", null))
                .toList();
        UPSTREAM.willAnswer(Streamed.events(java.time.Duration.ofMillis(300), FakeOpenAiUpstream.sse(chunks),
                Ending.FINISH));
        RecordingListener listener = new RecordingListener();

        impatient.stream(request(), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.completed()).as("calls: %s, error: %s", listener.kinds(), listener.error()).isTrue();
        assertThat(listener.content(0)).isEqualTo("01234567");
    }

    @Test
    void cancelClosesTheConnectionAndStopsTheCalls() throws Exception {
        List<String> chunks = IntStream.range(0, 100).mapToObj(i -> chunk("{\"content\": \"" + i + " \"}", null))
                .toList();
        UPSTREAM.willAnswer(Streamed.events(java.time.Duration.ofMillis(50), FakeOpenAiUpstream.sse(chunks),
                Ending.FINISH));
        RecordingListener listener = new RecordingListener();

        ChatStream stream = provider.stream(request(), listener);
        listener.awaitChunks(3, WAIT);
        stream.cancel();
        int seen = listener.calls().size();

        await().atMost(WAIT).until(() -> UPSTREAM.hangUps() == 1);
        assertThat(listener.calls().size()).isLessThanOrEqualTo(seen + 1);
        assertThat(listener.kinds()).doesNotContain("complete", "error", "usage");
        listener.assertFollowedTheContract();
    }

    @Test
    void listenerThatFailsGetsOneErrorAndTheConnectionIsClosed() {
        List<String> chunks = IntStream.range(0, 100).mapToObj(i -> chunk("{\"content\": \"" + i + " \"}", null))
                .toList();
        UPSTREAM.willAnswer(Streamed.events(java.time.Duration.ofMillis(20), FakeOpenAiUpstream.sse(chunks),
                Ending.FINISH));
        RecordingListener listener = RecordingListener.failingAtChunk(2);

        provider.stream(request(), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        await().atMost(WAIT).until(() -> UPSTREAM.hangUps() == 1);
        assertThat(listener.kinds()).containsExactly("open", "chunk", "chunk", "error");
    }

    @Test
    void jsonInsteadOfAStreamIsAnInvalidResponse() {
        UPSTREAM.willAnswer(200, "{\"object\": \"chat.completion\", \"choices\": []}");
        RecordingListener listener = new RecordingListener();

        provider.stream(request(), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.kinds()).containsExactly("error");
        assertThat(listener.error().clientError().getCode()).isEqualTo("upstream_invalid_response");
    }

    @Test
    void errorEventAfterTheStartEndsTheStreamWithTheUpstreamsMessage() {
        UPSTREAM.willAnswer(Streamed.events(NO_PAUSE, List.of(
                "data: " + chunk("{\"role\": \"assistant\", \"content\": \"\"}", null) + "\n\n",
                "data: {\"error\": {\"message\": \"The server had an error while processing your request.\","
                        + " \"type\": \"server_error\"}}\n\n"), Ending.HANG));
        RecordingListener listener = new RecordingListener();

        provider.stream(request(), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.kinds()).containsExactly("open", "chunk", "error");
        assertThat(listener.error().clientError().getStatus()).isEqualTo(502);
        assertThat(listener.error().getMessage()).isEqualTo("The server had an error while processing your request.");
        assertThat(listener.error().clientError().getCode()).isEqualTo("upstream_stream_error");
    }

    @Test
    void eventThatIsNotJsonIsAnInvalidResponse() {
        UPSTREAM.willAnswer(Streamed.events(NO_PAUSE, List.of("data: {not json\n\n"), Ending.HANG));
        RecordingListener listener = new RecordingListener();

        provider.stream(request(), listener);

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(listener.kinds()).containsExactly("open", "error");
        assertThat(listener.error().clientError().getCode()).isEqualTo("upstream_invalid_response");
    }

    private static void assertSameError(UpstreamException streamed, UpstreamException plain) {
        ApiException a = streamed.clientError();
        ApiException b = plain.clientError();
        assertThat(List.of(a.getStatus(), a.getMessage(), String.valueOf(a.getType()), String.valueOf(a.getParam()),
                String.valueOf(a.getCode()), String.valueOf(streamed.upstreamStatus())))
                .isEqualTo(List.of(b.getStatus(), b.getMessage(), String.valueOf(b.getType()),
                        String.valueOf(b.getParam()), String.valueOf(b.getCode()),
                        String.valueOf(plain.upstreamStatus())));
    }

    static ChatProvider provider(String baseUrl, Duration readTimeout) {
        OpenAiProviderFactory factory = new OpenAiProviderFactory();
        factory.setBaseUrl(baseUrl);
        factory.setReadTimeout(readTimeout);
        factory.setConnectTimeout(Duration.seconds(2));
        return factory.build("upstream", MAPPER, new UpstreamConnectionsFactory());
    }

    private static ObjectNode request() {
        ObjectNode request = MAPPER.createObjectNode();
        request.put("model", "upstream-model-x");
        request.putArray("messages").addObject().put("role", "user").put("content", "hi");
        request.put("stream", true);
        request.putObject("stream_options").put("include_usage", true);
        return request;
    }

    private static String chunk(String delta, String finishReason) {
        return """
                {"id": "chatcmpl-up-1", "object": "chat.completion.chunk", "created": 1735689600, \
                "model": "upstream-model-x-2024", "system_fingerprint": "fp_test", \
                "choices": [{"index": 0, "delta": %s, "logprobs": null, "finish_reason": %s}], "usage": null}"""
                .formatted(delta, finishReason);
    }

    private static String usageChunk(long prompt, long cached, long completion) {
        return """
                {"id": "chatcmpl-up-1", "object": "chat.completion.chunk", "created": 1735689600, \
                "model": "upstream-model-x-2024", "system_fingerprint": "fp_test", "choices": [], \
                "usage": {"prompt_tokens": %d, "completion_tokens": %d, "total_tokens": %d, \
                "prompt_tokens_details": {"cached_tokens": %d}, "completion_tokens_details": {"reasoning_tokens": 0}}}"""
                .formatted(prompt, completion, prompt + completion, cached);
    }

    static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
