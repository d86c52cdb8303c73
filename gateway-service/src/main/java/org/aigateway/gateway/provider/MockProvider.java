package org.aigateway.gateway.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Answers from the prompt itself: the reply quotes the last user message, token counts follow {@link MockTokenizer}
 * (content plus a fixed overhead per message, as OpenAI counts), and {@code max_tokens} truncates the reply.
 * Streams send the same reply in {@code streamChunks} pieces, {@code streamInterval} apart, from a shared timer pool.
 */
public class MockProvider implements ChatProvider {
    static final int TOKENS_PER_MESSAGE = 3;
    static final int TOKENS_PER_REPLY = 3;
    private static final Logger LOG = LoggerFactory.getLogger(MockProvider.class);

    private final ObjectMapper mapper;
    private final Duration latency;
    private final int streamChunks;
    private final Duration streamInterval;
    private final ScheduledExecutorService scheduler;

    public MockProvider(ObjectMapper mapper, Duration latency, int streamChunks, Duration streamInterval,
                        ScheduledExecutorService scheduler) {
        this.mapper = mapper;
        this.latency = latency;
        this.streamChunks = streamChunks;
        this.streamInterval = streamInterval;
        this.scheduler = scheduler;
    }

    /** What the mock answers to one request: the same for a plain and a streamed completion. */
    private record Answer(String id, long created, String model, String reply, String finishReason, int choices,
                          TokenUsage usage) {
    }

    private Answer answer(ObjectNode request) {
        long promptTokens = TOKENS_PER_REPLY;
        String lastUserText = "";
        for (JsonNode message : request.path("messages")) {
            String text = text(message.get("content"));
            promptTokens += TOKENS_PER_MESSAGE + MockTokenizer.count(message.path("role").asText()) + MockTokenizer.count(text);
            if ("user".equals(message.path("role").asText())) {
                lastUserText = text;
            }
        }
        String reply = "This is a mock reply to: " + lastUserText;
        String finishReason = "stop";
        long limit = maxTokens(request);
        if (limit > 0 && MockTokenizer.count(reply) > limit) {
            reply = MockTokenizer.truncate(reply, limit);
            finishReason = "length";
        }
        int choices = Math.max(1, request.path("n").asInt(1));
        long completionTokens = MockTokenizer.count(reply) * choices;
        return new Answer("chatcmpl-mock-" + UUID.randomUUID().toString().replace("-", ""),
                System.currentTimeMillis() / 1000, request.path("model").asText(), reply, finishReason, choices,
                TokenUsage.of(promptTokens, completionTokens, 0));
    }

    @Override
    public ProviderResponse complete(ObjectNode request) throws UpstreamException {
        pause();
        Answer answer = answer(request);
        ObjectNode body = mapper.createObjectNode();
        body.put("id", answer.id());
        body.put("object", "chat.completion");
        body.put("created", answer.created());
        body.put("model", answer.model());
        ArrayNode choiceArray = body.putArray("choices");
        for (int i = 0; i < answer.choices(); i++) {
            ObjectNode choice = choiceArray.addObject();
            choice.put("index", i);
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            message.put("content", answer.reply());
            message.putNull("refusal");
            choice.putNull("logprobs");
            choice.put("finish_reason", answer.finishReason());
        }
        body.set("usage", usageNode(answer.usage()));
        body.put("system_fingerprint", "mock");
        return new ProviderResponse(body, answer.usage());
    }

    private ObjectNode usageNode(TokenUsage usage) {
        ObjectNode node = mapper.createObjectNode();
        node.put("prompt_tokens", usage.promptTokens());
        node.put("completion_tokens", usage.completionTokens());
        node.put("total_tokens", usage.totalTokens());
        node.putObject("prompt_tokens_details").put("cached_tokens", 0);
        node.putObject("completion_tokens_details").put("reasoning_tokens", 0);
        return node;
    }

    private static long maxTokens(ObjectNode request) {
        JsonNode limit = request.hasNonNull("max_completion_tokens") ? request.get("max_completion_tokens") : request.get("max_tokens");
        return limit != null && limit.canConvertToLong() ? limit.asLong() : 0;
    }

    /** Text of a message's content: a string, or the text parts of a content array. */
    static String text(JsonNode content) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
            if (part.path("text").isTextual()) {
                text.append(text.length() == 0 ? "" : " ").append(part.path("text").asText());
            }
        }
        return text.toString();
    }

    private void pause() throws UpstreamException {
        if (latency.isZero()) {
            return;
        }
        try {
            Thread.sleep(latency.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw UpstreamException.unreachable("mock", "interrupted");
        }
    }

    @Override
    public ChatStream stream(ObjectNode request, StreamListener listener) {
        Answer answer = answer(request);
        MockStream stream = new MockStream(answer, MockTokenizer.split(answer.reply(), streamChunks),
                request.path("stream_options").path("include_usage").asBoolean(false), listener);
        stream.schedule(latency);
        return stream;
    }

    /**
     * One streamed answer, sent one step per timer tick: the role chunks (after the latency), then each piece of
     * the reply, the last piece together with the finish and usage chunks.
     */
    private final class MockStream implements ChatStream, Runnable {
        private final Answer answer;
        private final List<String> pieces;
        private final boolean includeUsage;
        private final StreamListener listener;
        // Only the timer task touches it, and each task is scheduled by the one before.
        private int step;
        // No listener call after this is set: the stream ended or was cancelled.
        private volatile boolean stopped;
        private volatile ScheduledFuture<?> next;

        MockStream(Answer answer, List<String> pieces, boolean includeUsage, StreamListener listener) {
            this.answer = answer;
            this.pieces = pieces;
            this.includeUsage = includeUsage;
            this.listener = listener;
        }

        void schedule(Duration delay) {
            next = scheduler.schedule(this, delay.toNanos(), TimeUnit.NANOSECONDS);
        }

        @Override
        public void run() {
            if (stopped) {
                return;
            }
            try {
                if (step == 0) {
                    listener.onOpen();
                    for (int i = 0; i < answer.choices(); i++) {
                        ObjectNode delta = mapper.createObjectNode().put("role", "assistant").put("content", "");
                        delta.putNull("refusal");
                        send(chunk(i, delta, null));
                    }
                } else {
                    for (int i = 0; i < answer.choices(); i++) {
                        send(chunk(i, mapper.createObjectNode().put("content", pieces.get(step - 1)), null));
                    }
                }
                if (step == pieces.size()) {
                    finish();
                    return;
                }
                step++;
                if (!stopped) {
                    schedule(streamInterval);
                }
            } catch (RuntimeException e) {
                LOG.warn("Mock stream listener failed; stream stopped", e);
                if (!stopped) {
                    stopped = true;
                    // The contract promises an end; the listener that just failed may fail again.
                    try {
                        listener.onError(UpstreamException.badResponse("mock", 200, "the stream could not be sent"));
                    } catch (RuntimeException again) {
                        LOG.warn("Mock stream listener failed on the error as well", again);
                    }
                }
            }
        }

        private void finish() {
            for (int i = 0; i < answer.choices(); i++) {
                send(chunk(i, mapper.createObjectNode(), answer.finishReason()));
            }
            if (includeUsage) {
                ObjectNode usage = header();
                usage.putArray("choices");
                usage.set("usage", usageNode(answer.usage()));
                send(usage);
            }
            if (!stopped) {
                listener.onUsage(answer.usage());
                stopped = true;
                listener.onComplete();
            }
        }

        private ObjectNode chunk(int index, ObjectNode delta, String finishReason) {
            ObjectNode chunk = header();
            ObjectNode choice = chunk.putArray("choices").addObject();
            choice.put("index", index);
            choice.set("delta", delta);
            choice.putNull("logprobs");
            choice.put("finish_reason", finishReason);
            if (includeUsage) {
                chunk.putNull("usage");
            }
            return chunk;
        }

        private ObjectNode header() {
            ObjectNode chunk = mapper.createObjectNode();
            chunk.put("id", answer.id());
            chunk.put("object", "chat.completion.chunk");
            chunk.put("created", answer.created());
            chunk.put("model", answer.model());
            chunk.put("system_fingerprint", "mock");
            return chunk;
        }

        private void send(ObjectNode chunk) {
            if (!stopped) {
                listener.onChunk(chunk);
            }
        }

        @Override
        public void cancel() {
            stopped = true;
            ScheduledFuture<?> pending = next;
            if (pending != null) {
                pending.cancel(false);
            }
        }
    }
}
