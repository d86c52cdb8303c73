package org.aigateway.bench.report;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalDouble;
import java.util.Properties;

/** The {@code key=value} figures one run collected; a part that did not run has no keys. */
final class Results {
    private final Properties values = new Properties();

    static Results read(Path file) throws IOException {
        Results results = new Results();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            results.values.load(reader);
        }
        return results;
    }

    boolean has(String key) {
        return values.containsKey(key);
    }

    String text(String key, String fallback) {
        return values.getProperty(key, fallback);
    }

    OptionalDouble number(String key) {
        String value = values.getProperty(key);
        if (value == null || value.isBlank()) {
            return OptionalDouble.empty();
        }
        try {
            return OptionalDouble.of(Double.parseDouble(value.trim()));
        } catch (NumberFormatException e) {
            return OptionalDouble.empty();
        }
    }

    long whole(String key) {
        return (long) number(key).orElse(0);
    }

    /** Keys starting with a prefix, in order, e.g. every {@code streams.failure.} kind. */
    java.util.SortedMap<String, String> startingWith(String prefix) {
        java.util.SortedMap<String, String> found = new java.util.TreeMap<>();
        for (String key : values.stringPropertyNames()) {
            if (key.startsWith(prefix)) {
                found.put(key.substring(prefix.length()), values.getProperty(key));
            }
        }
        return found;
    }
}
