package org.aigateway.gateway.provider;

import java.util.ArrayList;
import java.util.List;
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

    /**
     * Cuts {@code text} at token starts into at most {@code parts} pieces of near-equal token counts that concatenate
     * back to {@code text}; fewer pieces when the text has fewer tokens.
     */
    public static List<String> split(String text, int parts) {
        List<Integer> starts = new ArrayList<>();
        Matcher matcher = TOKEN.matcher(text);
        while (matcher.find()) {
            starts.add(matcher.start());
        }
        if (starts.isEmpty()) {
            return text.isEmpty() ? List.of() : List.of(text);
        }
        int pieces = Math.min(parts, starts.size());
        List<String> split = new ArrayList<>(pieces);
        int from = 0;
        for (int i = 1; i < pieces; i++) {
            int to = starts.get((int) ((long) i * starts.size() / pieces));
            split.add(text.substring(from, to));
            from = to;
        }
        split.add(text.substring(from));
        return split;
    }
}
