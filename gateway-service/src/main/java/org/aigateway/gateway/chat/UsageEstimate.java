package org.aigateway.gateway.chat;

import com.fasterxml.jackson.databind.JsonNode;
import org.aigateway.gateway.provider.TokenUsage;

/**
 * Token counts for a stream that ended before the upstream reported usage (the client left, or the upstream broke
 * or never reports it): prompt tokens from the request's text at about four characters a token plus OpenAI's fixed
 * per-message overhead, completion tokens as the number of content chunks received, which OpenAI and Anthropic send
 * about one token at a time. Billing what was produced, estimated, beats recording nothing.
 */
final class UsageEstimate {
    private static final int CHARS_PER_TOKEN = 4;
    private static final int TOKENS_PER_MESSAGE = 3;
    private static final int TOKENS_PER_REPLY = 3;

    private UsageEstimate() {
    }

    static TokenUsage of(JsonNode request, long contentChunks) {
        long prompt = TOKENS_PER_REPLY;
        for (JsonNode message : request.path("messages")) {
            prompt += TOKENS_PER_MESSAGE + tokens(textLength(message.get("content")));
        }
        return TokenUsage.of(prompt, contentChunks, 0);
    }

    private static long tokens(long chars) {
        return (chars + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN;
    }

    private static long textLength(JsonNode content) {
        if (content == null || content.isNull()) {
            return 0;
        }
        if (content.isTextual()) {
            return content.asText().length();
        }
        long length = 0;
        for (JsonNode part : content) {
            length += part.path("text").asText("").length();
        }
        return length;
    }
}
