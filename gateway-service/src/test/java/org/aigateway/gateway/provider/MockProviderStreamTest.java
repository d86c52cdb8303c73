package org.aigateway.gateway.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The mock provider's streams: the same answer as a plain completion, in paced OpenAI chunks. */
class MockProviderStreamTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void streamCarriesTheSameAnswerAsCompleteInTheConfiguredNumberOfChunks() throws Exception {
        ChatProvider mock = mock(Duration.ZERO, 8, Duration.ZERO);
        ObjectNode request = request("Tell me about the sea, the sky and everything in between, please");
        ProviderResponse plain = mock.complete(request.deepCopy());

        RecordingListener listener = new RecordingListener();
        mock.stream(request, listener);
        listener.awaitEnd(WAIT).assertFollowedTheContract();

        List<ObjectNode> chunks = listener.chunks();
        // The role chunk, 8 content chunks, the finish chunk and the usage chunk.
        assertThat(chunks).hasSize(11);
        assertThat(listener.kinds()).startsWith("open", "chunk").endsWith("chunk", "usage", "complete");
        assertThat(chunks).allSatisfy(chunk -> {
            assertThat(chunk.path("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(chunk.path("id").asText()).isEqualTo(chunks.get(0).path("id").asText()).startsWith("chatcmpl-");
            assertThat(chunk.path("model").asText()).isEqualTo("mock-1");
            assertThat(chunk.path("created").asLong()).isEqualTo(chunks.get(0).path("created").asLong());
            assertThat(chunk.has("usage")).isTrue();
        });
        JsonNode role = chunks.get(0).path("choices").get(0);
        assertThat(role.path("delta").path("role").asText()).isEqualTo("assistant");
        assertThat(role.path("delta").path("content").asText()).isEmpty();
        assertThat(role.path("finish_reason").isNull()).isTrue();
        for (ObjectNode content : chunks.subList(1, 9)) {
            JsonNode choice = content.path("choices").get(0);
            assertThat(choice.path("delta").path("content").asText()).isNotEmpty();
            assertThat(choice.path("delta").has("role")).isFalse();
            assertThat(choice.path("finish_reason").isNull()).isTrue();
            assertThat(content.path("usage").isNull()).isTrue();
        }
        JsonNode finish = chunks.get(9).path("choices").get(0);
        assertThat(finish.path("delta").size()).isZero();
        assertThat(finish.path("finish_reason").asText()).isEqualTo("stop");
        ObjectNode usageChunk = chunks.get(10);
        assertThat(usageChunk.path("choices").isArray()).isTrue();
        assertThat(usageChunk.path("choices").size()).isZero();

        String expectedContent = plain.body().path("choices").get(0).path("message").path("content").asText();
        assertThat(listener.content(0)).isEqualTo(expectedContent);
        assertThat(listener.usage()).isEqualTo(plain.usage());
        assertThat(TokenUsage.fromOpenAi(usageChunk.path("usage"))).isEqualTo(plain.usage());
        assertThat(usageChunk.path("usage")).isEqualTo(plain.body().path("usage"));
        // 3 per reply + (3 per message + "user" + 12 words and 2 commas).
        assertThat(listener.usage().promptTokens()).isEqualTo(3 + 3 + 1 + 14);
        assertThat(listener.usage().completionTokens()).isEqualTo(MockTokenizer.count(expectedContent));
    }

    @Test
    void firstChunkWaitsForTheLatencyAndTheRestForTheInterval() {
        ChatProvider mock = mock(Duration.ofMillis(600), 4, Duration.ofMillis(100));
        // Loaded and warmed up first, so the time stream() takes is its own.
        RecordingListener warmUp = new RecordingListener();
        mock(Duration.ZERO, 4, Duration.ZERO).stream(request("warm up"), warmUp);
        warmUp.awaitEnd(WAIT);
        RecordingListener listener = new RecordingListener();

        long started = System.nanoTime();
        mock.stream(request("one two three four five six"), listener);
        long returnedAfterMs = (System.nanoTime() - started) / 1_000_000;

        listener.awaitEnd(WAIT).assertFollowedTheContract();
        assertThat(returnedAfterMs).as("stream() returns at once").isLessThan(300);
        List<RecordingListener.Call> chunks = listener.calls().stream()
                .filter(call -> call.kind().equals("chunk")).toList();
        assertThat(chunks).hasSize(1 + 4 + 2);
        assertThat(listener.millisTo(chunks.get(0))).isBetween(590L, 1500L);
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            gaps.add((chunks.get(i).nanos() - chunks.get(i - 1).nanos()) / 1_000_000);
        }
        assertThat(gaps).allSatisfy(gap -> assertThat(gap).isBetween(90L, 1000L));
        assertThat(listener.millisTo(listener.calls().get(listener.calls().size() - 1))).isGreaterThanOrEqualTo(990L);
    }

    @Test
    void cancelStopsTheStreamWithoutAnotherCall() throws Exception {
        ChatProvider mock = mock(Duration.ZERO, 8, Duration.ofMillis(50));
        RecordingListener listener = new RecordingListener();

        ChatStream stream = mock.stream(request("a b c d e f g h i j k l"), listener);
        listener.awaitChunks(3, WAIT);
        stream.cancel();
        int seen = listener.calls().size();
        Thread.sleep(500);

        assertThat(listener.calls().size()).as("calls after cancel: %s", listener.kinds()).isLessThanOrEqualTo(seen + 1);
        assertThat(listener.kinds()).doesNotContain("complete", "error", "usage");
        assertThat(listener.chunks().size()).isLessThan(11);
        stream.cancel();
        listener.assertFollowedTheContract();
    }

    @Test
    void listenerThatFailsGetsOneErrorAndNothingElse() throws Exception {
        ChatProvider mock = mock(Duration.ZERO, 8, Duration.ofMillis(10));
        RecordingListener listener = RecordingListener.failingAtChunk(2);

        mock.stream(request("a b c d e f g h i j k l"), listener);
        listener.awaitEnd(WAIT).assertFollowedTheContract();
        Thread.sleep(200);

        assertThat(listener.kinds()).containsExactly("open", "chunk", "chunk", "error");
    }

    @Test
    void maxTokensTruncatesTheStreamWithFinishReasonLength() throws Exception {
        ChatProvider mock = mock(Duration.ZERO, 8, Duration.ZERO);
        ObjectNode request = request("a long question with many words in it");
        request.put("max_tokens", 5);
        RecordingListener listener = new RecordingListener();

        mock.stream(request, listener);
        listener.awaitEnd(WAIT).assertFollowedTheContract();

        assertThat(listener.content(0)).isEqualTo("This is a mock reply");
        assertThat(listener.usage().completionTokens()).isEqualTo(5);
        // Five tokens make five content chunks at most.
        assertThat(listener.chunks()).hasSize(1 + 5 + 2);
        JsonNode finish = listener.chunks().get(6).path("choices").get(0);
        assertThat(finish.path("finish_reason").asText()).isEqualTo("length");
        assertThat(listener.usage()).isEqualTo(mock.complete(request).usage());
    }

    @Test
    void everyChoiceIsStreamedUnderItsIndex() throws Exception {
        ChatProvider mock = mock(Duration.ZERO, 3, Duration.ZERO);
        ObjectNode request = request("twice please");
        request.put("n", 2);
        RecordingListener listener = new RecordingListener();

        mock.stream(request, listener);
        listener.awaitEnd(WAIT).assertFollowedTheContract();

        assertThat(listener.content(0)).isEqualTo("This is a mock reply to: twice please");
        assertThat(listener.content(1)).isEqualTo(listener.content(0));
        long finishes = listener.chunks().stream()
                .filter(chunk -> chunk.path("choices").path(0).path("finish_reason").isTextual()).count();
        assertThat(finishes).isEqualTo(2);
        assertThat(listener.usage().completionTokens()).isEqualTo(2 * MockTokenizer.count(listener.content(0)));
        assertThat(listener.usage()).isEqualTo(mock.complete(request).usage());
    }

    @Test
    void withoutIncludeUsageNoUsageChunkIsSentButUsageIsStillReported() {
        ChatProvider mock = mock(Duration.ZERO, 2, Duration.ZERO);
        ObjectNode request = request("hello");
        request.remove("stream_options");
        RecordingListener listener = new RecordingListener();

        mock.stream(request, listener);
        listener.awaitEnd(WAIT).assertFollowedTheContract();

        assertThat(listener.chunks()).hasSize(1 + 2 + 1);
        assertThat(listener.chunks()).allSatisfy(chunk -> assertThat(chunk.has("usage")).isFalse());
        assertThat(listener.usage().totalTokens()).isPositive();
    }

    @Test
    void thousandsOfSlowStreamsRunOnTheSharedTimerThreads() {
        ChatProvider mock = mock(Duration.ofMillis(50), 8, Duration.ofMillis(40));
        int threadsBefore = Thread.activeCount();
        List<RecordingListener> listeners = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            RecordingListener listener = new RecordingListener();
            listeners.add(listener);
            mock.stream(request("stream number " + i + " of many, many streams"), listener);
        }
        int threadsWhileStreaming = Thread.activeCount();
        boolean measuredWhileStreaming = !listeners.get(listeners.size() - 1).completed();
        Set<String> senders = Thread.getAllStackTraces().keySet().stream()
                .map(Thread::getName).filter(name -> name.startsWith("provider-mock-test-")).collect(Collectors.toSet());

        for (RecordingListener listener : listeners) {
            listener.awaitEnd(Duration.ofSeconds(30)).assertFollowedTheContract();
            assertThat(listener.completed()).isTrue();
            assertThat(listener.chunks()).hasSize(11);
        }
        assertThat(measuredWhileStreaming).isTrue();
        assertThat(threadsWhileStreaming - threadsBefore).as("threads added for 3000 streams").isLessThanOrEqualTo(2);
        assertThat(senders).hasSizeLessThanOrEqualTo(2);
    }

    private static ChatProvider mock(Duration latency, int chunks, Duration interval) {
        return new MockProvider(MAPPER, latency, chunks, interval, ProviderScheduler.create("mock-test", 2));
    }

    private static ObjectNode request(String userText) {
        ObjectNode request = MAPPER.createObjectNode();
        request.put("model", "mock-1");
        request.putArray("messages").addObject().put("role", "user").put("content", userText);
        request.put("stream", true);
        request.putObject("stream_options").put("include_usage", true);
        return request;
    }
}
