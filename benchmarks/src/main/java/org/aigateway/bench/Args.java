package org.aigateway.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code --name value} pairs from the command line; every option a command reads is required unless defaulted. */
public final class Args {
    private final Map<String, String> values;

    private Args(Map<String, String> values) {
        this.values = values;
    }

    public static Args parse(String[] args) {
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got: " + String.join(" ", args));
            }
            values.put(args[i].substring(2), args[i + 1]);
        }
        return new Args(values);
    }

    public String string(String name) {
        String value = values.get(name);
        if (value == null) {
            throw new IllegalArgumentException("missing option --" + name);
        }
        return value;
    }

    public String string(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    public int integer(String name) {
        return Integer.parseInt(string(name));
    }

    public int integer(String name, int fallback) {
        return values.containsKey(name) ? integer(name) : fallback;
    }

    /** A duration written as {@code 500ms}, {@code 10s} or {@code 2m}. */
    public Duration duration(String name) {
        return parseDuration(string(name));
    }

    public Duration duration(String name, Duration fallback) {
        return values.containsKey(name) ? duration(name) : fallback;
    }

    public static Duration parseDuration(String text) {
        String value = text.trim();
        if (value.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
        }
        long amount = Long.parseLong(value.substring(0, value.length() - 1));
        return switch (value.charAt(value.length() - 1)) {
            case 's' -> Duration.ofSeconds(amount);
            case 'm' -> Duration.ofMinutes(amount);
            case 'h' -> Duration.ofHours(amount);
            default -> throw new IllegalArgumentException("not a duration (500ms, 10s, 2m): " + text);
        };
    }
}
