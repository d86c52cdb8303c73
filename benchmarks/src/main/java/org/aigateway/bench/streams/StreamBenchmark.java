package org.aigateway.bench.streams;

import org.aigateway.bench.Args;
import org.aigateway.bench.Figures;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Opens many streaming chat completions ({@code "stream": true}) through the gateway at once against a slowly
 * streaming upstream, counts those that complete with {@code data: [DONE]}, and samples the gateway's heap and thread
 * count from its admin metrics meanwhile. One non-blocking HTTP client holds every stream.
 */
public final class StreamBenchmark {
    private static final int DETAIL_LENGTH = 200;

    private StreamBenchmark() {
    }

    public static void run(Args args) throws Exception {
        URI url = URI.create(args.string("url"));
        String key = args.string("key");
        int streams = args.integer("streams");
        Duration ramp = args.duration("ramp", Duration.ofSeconds(2));
        Duration expected = args.duration("stream-duration");
        // How long the upstream may hold the streams until all are open (its --streams-at-once-timeout).
        Duration hold = args.duration("hold-timeout", Duration.ofSeconds(60));
        String body = "{\"model\":\"" + args.string("model") + "\",\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Count slowly to twenty.\"}]}";

        StreamTally tally = new StreamTally();
        ExecutorService callbacks = Executors.newFixedThreadPool(4);
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(30))
                .executor(callbacks)
                .build();
        Duration timeout = expected.plus(ramp).plus(hold).plusSeconds(60);
        HttpRequest request = HttpRequest.newBuilder(url)
                .timeout(timeout)
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();

        Figures figures = new Figures("streams").put("requested", streams);
        try (GatewayMetricsSampler sampler = new GatewayMetricsSampler(URI.create(args.string("metrics-url")),
                Duration.ofMillis(250))) {
            var before = sampler.sampleOnce();
            figures.put("heap_before_mb", megabytes(before.path("jvm.memory.heap.used").path("value").asLong()))
                    .put("threads_before", before.path("jvm.threads.count").path("value").asLong());
            sampler.start();

            long started = System.nanoTime();
            List<CompletableFuture<Void>> all = new ArrayList<>(streams);
            long pauseNanos = streams <= 1 ? 0 : ramp.toNanos() / streams;
            for (int i = 0; i < streams; i++) {
                all.add(client.sendAsync(request, judged(tally))
                        .<Void>thenApply(HttpResponse::body)
                        .exceptionally(failure -> {
                            Throwable cause = failure.getCause() == null ? failure : failure.getCause();
                            tally.failed("client_" + cause.getClass().getSimpleName(),
                                    abbreviate(String.valueOf(cause.getMessage())));
                            return null;
                        }));
                if (pauseNanos > 0) {
                    TimeUnit.NANOSECONDS.sleep(pauseNanos);
                }
            }
            try {
                CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                        .get(timeout.toMillis() + 10_000, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                long unfinished = all.stream().filter(f -> !f.isDone()).count();
                for (long i = 0; i < unfinished; i++) {
                    tally.failed("unfinished", "no end within " + timeout);
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            sampler.sampleOnce();

            figures.put("completed", tally.completedCount())
                    .put("failed", tally.failedCount())
                    .put("max_open", tally.maxOpen())
                    .put("seconds_to_max_open", String.format(java.util.Locale.ROOT, "%.1f",
                            tally.maxOpen() == 0 ? 0.0 : (tally.maxOpenReachedNanos() - started) / 1e9))
                    .put("chunks_per_stream", String.format(java.util.Locale.ROOT, "%.1f",
                            tally.completedCount() == 0 ? 0.0 : (double) tally.chunks() / tally.completedCount()))
                    .put("seconds", String.format(java.util.Locale.ROOT, "%.1f", seconds))
                    .put("heap_max_mb", megabytes(sampler.maxHeapBytes()))
                    .put("threads_max", sampler.maxThreads())
                    .put("metric_samples", sampler.samples());
            tally.failures().forEach((kind, count) -> figures.put("failure." + kind, count));
            tally.failureSamples().forEach((kind, detail) -> figures.put("failure_sample." + kind, detail));
        } finally {
            callbacks.shutdownNow();
        }
        figures.print();
        // The client's selector thread is not a daemon; leave without waiting for idle connections to time out.
        System.exit(0);
    }

    /** Reads a 200 answer as a stream of events; any other status is a failure named after it. */
    private static HttpResponse.BodyHandler<Void> judged(StreamTally tally) {
        return info -> {
            if (info.statusCode() == 200) {
                return BodySubscribers.fromLineSubscriber(new SseStream(tally), stream -> null,
                        StandardCharsets.UTF_8, null);
            }
            return BodySubscribers.mapping(BodySubscribers.ofString(StandardCharsets.UTF_8), text -> {
                tally.failed("http_" + info.statusCode(), abbreviate(text));
                return null;
            });
        };
    }

    private static String megabytes(long bytes) {
        return bytes < 0 ? "n/a" : String.format(java.util.Locale.ROOT, "%.1f", bytes / (1024.0 * 1024.0));
    }

    private static String abbreviate(String text) {
        String oneLine = text.replaceAll("\\s+", " ").trim();
        return oneLine.length() <= DETAIL_LENGTH ? oneLine : oneLine.substring(0, DETAIL_LENGTH) + "…";
    }
}
