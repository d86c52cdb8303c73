package org.aigateway.gateway.provider;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Token counts of one request as the provider reported them. {@code promptTokens} counts every input token;
 * {@code cachedTokens} of them were read from the provider's prompt cache and {@code cacheCreationTokens} were written
 * to it (Anthropic bills both at their own prices).
 */
public record TokenUsage(long promptTokens, long completionTokens, long totalTokens, long cachedTokens,
                         long cacheCreationTokens) {
    public static final TokenUsage NONE = new TokenUsage(0, 0, 0, 0, 0);

    public static TokenUsage of(long promptTokens, long completionTokens, long cachedTokens) {
        return new TokenUsage(promptTokens, completionTokens, promptTokens + completionTokens, cachedTokens, 0);
    }

    /** Reads OpenAI's {@code usage} object; absent or partial usage counts as zero. */
    public static TokenUsage fromOpenAi(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return NONE;
        }
        long prompt = nonNegative(usage.path("prompt_tokens"));
        long completion = nonNegative(usage.path("completion_tokens"));
        long total = usage.hasNonNull("total_tokens") ? nonNegative(usage.path("total_tokens")) : prompt + completion;
        long cached = nonNegative(usage.path("prompt_tokens_details").path("cached_tokens"));
        return new TokenUsage(prompt, completion, total, cached, 0);
    }

    private static long nonNegative(JsonNode value) {
        return value.canConvertToLong() ? Math.max(0, value.asLong()) : 0;
    }
}
