package org.aigateway.gateway.provider;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The mock provider's token count: each run of letters or digits is a token, and so is each other visible character. */
public final class MockTokenizer {
    private static final Pattern TOKEN = Pattern.compile("[\\p{L}\\p{N}]+|[^\\s\\p{L}\\p{N}]");

    private MockTokenizer() {
    }

    public static long count(String text) {
        Matcher matcher = TOKEN.matcher(text);
        long tokens = 0;
        while (matcher.find()) {
            tokens++;
        }
        return tokens;
    }

    /** The longest prefix of {@code text} holding at most {@code maxTokens} tokens. */
    public static String truncate(String text, long maxTokens) {
        Matcher matcher = TOKEN.matcher(text);
        long tokens = 0;
        int end = 0;
        while (tokens < maxTokens && matcher.find()) {
            tokens++;
            end = matcher.end();
        }
        return tokens < maxTokens ? text : text.substring(0, end);
    }
}
