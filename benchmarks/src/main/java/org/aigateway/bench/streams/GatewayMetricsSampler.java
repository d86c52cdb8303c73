package org.aigateway.bench.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Polls a Dropwizard admin {@code /metrics} endpoint and keeps the largest used heap ({@code jvm.memory.heap.used})
 * and thread count ({@code jvm.threads.count}) it saw.
 */
final class GatewayMetricsSampler implements AutoCloseable {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper mapper = new ObjectMapper();
    private final URI metrics;
    private final Duration interval;
    private final AtomicLong maxHeapBytes = new AtomicLong(-1);
    private final AtomicLong maxThreads = new AtomicLong(-1);
    private final AtomicLong samples = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    GatewayMetricsSampler(URI metrics, Duration interval) {
        this.metrics = metrics;
        this.interval = interval;
        this.thread = new Thread(this::poll, "gateway-metrics-sampler");
        thread.setDaemon(true);
    }

    GatewayMetricsSampler start() {
        thread.start();
        return this;
    }

    /** One sample now, outside the polling thread: the figures before the load starts. */
    JsonNode sampleOnce() throws Exception {
        HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10))
                .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(metrics + " answered HTTP " + response.statusCode());
        }
        JsonNode gauges = mapper.readTree(response.body()).path("gauges");
        maxHeapBytes.accumulateAndGet(gauges.path("jvm.memory.heap.used").path("value").asLong(-1), Math::max);
        maxThreads.accumulateAndGet(gauges.path("jvm.threads.count").path("value").asLong(-1), Math::max);
        samples.incrementAndGet();
        return gauges;
    }

    private void poll() {
        while (running) {
            try {
                sampleOnce();
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                // A slow or refused sample under load is skipped; the next one may get through.
            }
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    long maxHeapBytes() {
        return maxHeapBytes.get();
    }

    long maxThreads() {
        return maxThreads.get();
    }

    long samples() {
        return samples.get();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(5_000);
    }
}
