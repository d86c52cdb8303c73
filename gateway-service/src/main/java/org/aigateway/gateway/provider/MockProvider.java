package org.aigateway.gateway.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.UUID;

/**
 * Answers from the prompt itself: the reply quotes the last user message, token counts follow {@link MockTokenizer}
 * (content plus a fixed overhead per message, as OpenAI counts), and {@code max_tokens} truncates the reply.
 */
public class MockProvider implements ChatProvider {
    static final int TOKENS_PER_MESSAGE = 3;
    static final int TOKENS_PER_REPLY = 3;

    private final ObjectMapper mapper;
    private final Duration latency;

    public MockProvider(ObjectMapper mapper, Duration latency) {
        this.mapper = mapper;
        this.latency = latency;
    }

    @Override
    public ProviderResponse complete(ObjectNode request) throws UpstreamException {
        pause();
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

        ObjectNode body = mapper.createObjectNode();
        body.put("id", "chatcmpl-mock-" + UUID.randomUUID().toString().replace("-", ""));
        body.put("object", "chat.completion");
        body.put("created", System.currentTimeMillis() / 1000);
        body.put("model", request.path("model").asText());
        ArrayNode choiceArray = body.putArray("choices");
        for (int i = 0; i < choices; i++) {
            ObjectNode choice = choiceArray.addObject();
            choice.put("index", i);
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            message.put("content", reply);
            message.putNull("refusal");
            choice.putNull("logprobs");
            choice.put("finish_reason", finishReason);
        }
        TokenUsage usage = TokenUsage.of(promptTokens, completionTokens, 0);
        ObjectNode usageNode = body.putObject("usage");
        usageNode.put("prompt_tokens", usage.promptTokens());
        usageNode.put("completion_tokens", usage.completionTokens());
        usageNode.put("total_tokens", usage.totalTokens());
        usageNode.putObject("prompt_tokens_details").put("cached_tokens", 0);
        usageNode.putObject("completion_tokens_details").put("reasoning_tokens", 0);
        body.put("system_fingerprint", "mock");
        return new ProviderResponse(body, usage);
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
        listener.onError(UpstreamException.badResponse("pending", 0, "streaming is being wired"));
        return () -> { };
    }
}
