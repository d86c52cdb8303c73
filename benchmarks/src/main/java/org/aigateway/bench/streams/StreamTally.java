package org.aigateway.bench.streams;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** What happened to the streams so far: how many are open right now (and at most), finished, failed and why. */
final class StreamTally {
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger maxOpen = new AtomicInteger();
    /** When the number open at once first reached its maximum so far; {@link System#nanoTime()} based. */
    private final AtomicLong maxOpenReachedNanos = new AtomicLong();
    private final AtomicInteger completed = new AtomicInteger();
    private final AtomicLong chunks = new AtomicLong();
    private final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
    private final Map<String, String> failureSamples = new ConcurrentHashMap<>();

    void opened() {
        int now = open.incrementAndGet();
        if (maxOpen.getAndAccumulate(now, Math::max) < now) {
            maxOpenReachedNanos.accumulateAndGet(System.nanoTime(), Math::max);
        }
    }

    void closed() {
        open.decrementAndGet();
    }

    void chunk() {
        chunks.incrementAndGet();
    }

    void completed() {
        completed.incrementAndGet();
    }

    /** @param kind a short, countable reason, e.g. {@code http_400}; {@code detail} keeps one example of it */
    void failed(String kind, String detail) {
        failures.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
        failureSamples.putIfAbsent(kind, detail);
    }

    int completedCount() {
        return completed.get();
    }

    int failedCount() {
        return failures.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    int maxOpen() {
        return maxOpen.get();
    }

    long maxOpenReachedNanos() {
        return maxOpenReachedNanos.get();
    }

    long chunks() {
        return chunks.get();
    }

    Map<String, Integer> failures() {
        Map<String, Integer> counts = new TreeMap<>();
        failures.forEach((kind, count) -> counts.put(kind, count.get()));
        return counts;
    }

    Map<String, String> failureSamples() {
        return new TreeMap<>(failureSamples);
    }
}
