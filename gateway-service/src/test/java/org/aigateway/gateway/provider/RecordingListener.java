package org.aigateway.gateway.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Keeps every call a stream makes, when it came, and every breach of the listener contract it saw. */
final class RecordingListener implements StreamListener {
    /** One listener call: its kind ("open", "chunk", "usage", "complete", "error"), payload and arrival time. */
    record Call(String kind, ObjectNode chunk, TokenUsage usage, UpstreamException error, long nanos) {
    }

    private final List<Call> calls = new ArrayList<>();
    private final List<String> breaches = new ArrayList<>();
    private final CountDownLatch ended = new CountDownLatch(1);
    private final long created = System.nanoTime();
    private final int failingChunk;

    RecordingListener() {
        this(0);
    }

    private RecordingListener(int failingChunk) {
        this.failingChunk = failingChunk;
    }

    /** A listener that throws from {@code onChunk} when the given chunk (counting from 1) arrives. */
    static RecordingListener failingAtChunk(int chunk) {
        return new RecordingListener(chunk);
    }

    @Override
    public synchronized void onOpen() {
        if (has("open") || ended()) {
            breaches.add("onOpen after " + kinds());
        }
        add(new Call("open", null, null, null, System.nanoTime()));
    }

    @Override
    public synchronized void onChunk(ObjectNode chunk) {
        if (!has("open") || ended()) {
            breaches.add("onChunk after " + kinds());
        }
        add(new Call("chunk", chunk, null, null, System.nanoTime()));
        if (chunks().size() == failingChunk) {
            throw new IllegalStateException("listener failure on purpose");
        }
    }

    @Override
    public synchronized void onUsage(TokenUsage usage) {
        if (has("usage") || ended()) {
            breaches.add("onUsage after " + kinds());
        }
        add(new Call("usage", null, usage, null, System.nanoTime()));
    }

    @Override
    public synchronized void onComplete() {
        if (!has("open") || ended()) {
            breaches.add("onComplete after " + kinds());
        }
        add(new Call("complete", null, null, null, System.nanoTime()));
        ended.countDown();
    }

    @Override
    public synchronized void onError(UpstreamException error) {
        if (ended()) {
            breaches.add("onError after " + kinds());
        }
        add(new Call("error", null, null, error, System.nanoTime()));
        ended.countDown();
    }

    private void add(Call call) {
        calls.add(call);
        notifyAll();
    }

    private boolean has(String kind) {
        return calls.stream().anyMatch(call -> call.kind().equals(kind));
    }

    private boolean ended() {
        return has("complete") || has("error");
    }

    /** Waits for onComplete or onError and fails the test if neither comes in time. */
    RecordingListener awaitEnd(Duration timeout) {
        try {
            assertThat(ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS))
                    .as("stream ended within %s; calls so far: %s", timeout, kinds()).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        return this;
    }

    /** Waits until at least {@code count} chunks arrived. */
    synchronized RecordingListener awaitChunks(int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (chunks().size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("expected " + count + " chunks within " + timeout + ", got " + kinds());
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        return this;
    }

    synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    synchronized List<String> kinds() {
        return calls.stream().map(Call::kind).toList();
    }

    synchronized List<ObjectNode> chunks() {
        return calls.stream().filter(call -> call.kind().equals("chunk")).map(Call::chunk).toList();
    }

    /** The concatenated {@code delta.content} of one choice. */
    synchronized String content(int index) {
        StringBuilder content = new StringBuilder();
        for (ObjectNode chunk : chunks()) {
            for (JsonNode choice : chunk.path("choices")) {
                if (choice.path("index").asInt() == index && choice.path("delta").path("content").isTextual()) {
                    content.append(choice.path("delta").path("content").asText());
                }
            }
        }
        return content.toString();
    }

    synchronized TokenUsage usage() {
        return calls.stream().filter(call -> call.kind().equals("usage")).map(Call::usage).findFirst().orElse(null);
    }

    synchronized UpstreamException error() {
        return calls.stream().filter(call -> call.kind().equals("error")).map(Call::error).findFirst().orElse(null);
    }

    synchronized boolean completed() {
        return has("complete");
    }

    /** Milliseconds from this listener's creation to the given call. */
    long millisTo(Call call) {
        return (call.nanos() - created) / 1_000_000;
    }

    synchronized void assertFollowedTheContract() {
        assertThat(breaches).as("listener contract breaches; calls: %s", kinds()).isEmpty();
    }
}
