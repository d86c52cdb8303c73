package org.aigateway.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.stream.Stream;

/**
 * A steady stream of gateway traffic from several users, each with several sessions ({@code X-Session-Id}), one
 * thread per session: chat completions, some to a model whose upstream is unreachable (answered 502 and recorded as
 * errors), optionally {@code stream: true} completions read to {@code data: [DONE]} and history queries. Counts what
 * was answered as expected and keeps the first failures for the test to show.
 */
final class LoadGenerator implements AutoCloseable {
    /** How one session's requests are mixed; the index cycles through ten slots. */
    record Mix(boolean streaming, boolean historyQueries) {
    }

    private static final int FAILURES_KEPT = 20;
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    private final IntSupplier gatewayPort;
    private final Map<String, String> keysByUser;
    private final int sessionsPerUser;
    private final long intervalNanos;
    private final Mix mix;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong succeeded = new AtomicLong();
    private final AtomicLong upstreamErrors = new AtomicLong();
    private final AtomicLong streamed = new AtomicLong();
    private final AtomicLong historyReads = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final List<String> failureSamples = new CopyOnWriteArrayList<>();
    private final Queue<Long> latenciesMillis = new ConcurrentLinkedQueue<>();
    private volatile boolean running;

    /**
     * @param requestsPerSecond the total rate over all sessions
     */
    LoadGenerator(IntSupplier gatewayPort, Map<String, String> keysByUser, int sessionsPerUser,
                  double requestsPerSecond, Mix mix) {
        this.gatewayPort = gatewayPort;
        this.keysByUser = keysByUser;
        this.sessionsPerUser = sessionsPerUser;
        this.intervalNanos = (long) (1e9 * keysByUser.size() * sessionsPerUser / requestsPerSecond);
        this.mix = mix;
    }

    /** Whether load runs should send streaming requests: {@code -De2e.streaming=true}. */
    static boolean streamingRequested() {
        return Boolean.parseBoolean(System.getProperty("e2e.streaming", "false"));
    }

    LoadGenerator start() {
        running = true;
        keysByUser.forEach((user, key) -> {
            for (int s = 0; s < sessionsPerUser; s++) {
                String session = user + "-session-" + s;
                Thread thread = new Thread(() -> run(key, session), "load-" + session);
                thread.setDaemon(true);
                threads.add(thread);
                thread.start();
            }
        });
        return this;
    }

    /** Stops sending and waits for every request under way to be answered. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(60));
        }
    }

    long sent() {
        return sent.get();
    }

    /** Completions answered 200 (streams read to the end). */
    long succeeded() {
        return succeeded.get();
    }

    long upstreamErrors() {
        return upstreamErrors.get();
    }

    long streamed() {
        return streamed.get();
    }

    long historyReads() {
        return historyReads.get();
    }

    /** Requests not answered as expected: refused connections, unexpected statuses, streams cut before [DONE]. */
    long failures() {
        return failures.get();
    }

    List<String> failureSamples() {
        return List.copyOf(failureSamples);
    }

    /** The client-side time of every request answered so far, sorted, in milliseconds. */
    List<Long> sortedLatenciesMillis() {
        return latenciesMillis.stream().sorted().toList();
    }

    private void run(String key, String session) {
        long next = System.nanoTime();
        for (long i = 0; running; i++) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException e) {
                    return;
                }
            }
            // A steady rate: a slow answer delays this session's next request, it never causes a burst.
            next = Math.max(next + intervalNanos, System.nanoTime());
            if (!running) {
                return;
            }
            sent.incrementAndGet();
            long began = System.nanoTime();
            try {
                send(key, session, i);
            } catch (IOException e) {
                fail(session + " #" + i + ": " + e);
            } catch (InterruptedException e) {
                return;
            }
            latenciesMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
        }
    }

    private void send(String key, String session, long i) throws IOException, InterruptedException {
        int slot = (int) (i % 10);
        String text = "request " + i + " from " + session + " " + "word ".repeat((int) (i % 13));
        if (slot == 8 && mix.historyQueries()) {
            HttpResponse<Void> response = HTTP.send(request(key, session, "/v1/history?limit=5").GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            if (expect(response.statusCode(), 200, session, i, "history")) {
                historyReads.incrementAndGet();
            }
        } else if (slot == 3) {
            HttpResponse<Void> response = HTTP.send(chat(key, session, "remote-1", text, false),
                    HttpResponse.BodyHandlers.discarding());
            if (expect(response.statusCode(), 502, session, i, "unreachable upstream")) {
                upstreamErrors.incrementAndGet();
            }
        } else if (slot % 2 == 0 && mix.streaming()) {
            HttpResponse<Stream<String>> response = HTTP.send(chat(key, session, "mock-1", text, true),
                    HttpResponse.BodyHandlers.ofLines());
            try (Stream<String> lines = response.body()) {
                if (!expect(response.statusCode(), 200, session, i, "stream")) {
                    return;
                }
                if (lines.noneMatch(line -> line.equals("data: [DONE]"))) {
                    fail(session + " #" + i + ": stream ended without data: [DONE]");
                    return;
                }
            }
            streamed.incrementAndGet();
            succeeded.incrementAndGet();
        } else {
            HttpResponse<Void> response = HTTP.send(chat(key, session, "mock-1", text, false),
                    HttpResponse.BodyHandlers.discarding());
            if (expect(response.statusCode(), 200, session, i, "chat")) {
                succeeded.incrementAndGet();
            }
        }
    }

    private boolean expect(int status, int expected, String session, long i, String what) {
        if (status == expected) {
            return true;
        }
        fail(session + " #" + i + ": " + what + " answered " + status + ", expected " + expected);
        return false;
    }

    private void fail(String sample) {
        failures.incrementAndGet();
        if (failureSamples.size() < FAILURES_KEPT) {
            failureSamples.add(sample);
        }
    }

    private HttpRequest.Builder request(String key, String session, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort.getAsInt() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + key)
                .header("X-Session-Id", session);
    }

    private HttpRequest chat(String key, String session, String model, String text, boolean stream) {
        String body = "{\"model\":\"" + model + "\"," + (stream ? "\"stream\":true," : "")
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
        return request(key, session, "/v1/chat/completions")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }
}
