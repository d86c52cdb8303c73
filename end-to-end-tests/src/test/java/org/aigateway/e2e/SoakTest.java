package org.aigateway.e2e;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code make soak}: a steady mixed load (completions, {@code stream: true} completions when streaming is on,
 * history queries) against the real processes for {@code soak.duration} at {@code soak.rate} requests a second.
 * Samples both services' heap over time, then requires zero failed requests, a drained outbox, empty dead-letter
 * queues, nothing pending and a clean reconcile. Writes its figures to {@code target/soak-report.txt}.
 * Not part of {@code make test}: surefire excludes it unless named.
 */
class SoakTest {
    private static final Duration SAMPLE_EVERY = Duration.ofSeconds(15);
    /** Sessions wait for their answers: enough of them keep the rate steady while a busy machine answers slowly. */
    private static final int SESSIONS_PER_USER = 5;
    private static final Duration CONVERGENCE = Duration.ofMinutes(2);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final double MIB = 1024 * 1024;

    private record Sample(long elapsedSeconds, long sent, long failures, long unsent, double gatewayHeap,
                          double gatewayHeapAfterGc, double analyticsHeap, double analyticsHeapAfterGc) {
    }

    @Test
    void steadyMixedLoadLeavesNothingBehind() throws Exception {
        Duration duration = parseDuration(System.getProperty("soak.duration", "5m"));
        double rate = Double.parseDouble(System.getProperty("soak.rate", "20"));
        boolean streaming = LoadGenerator.streamingRequested();
        List<Sample> samples = new ArrayList<>();
        List<String> report = new ArrayList<>();
        try (RunningPipeline pipeline = RunningPipeline.start("soak")) {
            LoadGenerator load = pipeline.load(SESSIONS_PER_USER, rate, new LoadGenerator.Mix(streaming, true));
            Instant started = Instant.now();
            Instant end = started.plus(duration);
            load.start();
            try {
                for (Instant next = started.plus(SAMPLE_EVERY); next.isBefore(end); next = next.plus(SAMPLE_EVERY)) {
                    Thread.sleep(Math.max(1, Duration.between(Instant.now(), next).toMillis()));
                    samples.add(sample(pipeline, load, started));
                }
                Thread.sleep(Math.max(1, Duration.between(Instant.now(), end).toMillis()));
            } finally {
                load.close();
            }
            Duration ran = Duration.between(started, Instant.now());
            samples.add(sample(pipeline, load, started));
            long unsentAtEnd = pipeline.unsentEvents();
            Instant drainStarted = Instant.now();
            pipeline.awaitHistoryAndAnalyticsAgree(CONVERGENCE);
            Duration drained = Duration.between(drainStarted, Instant.now());
            String reconcile = pipeline.reconcileCommand().stdout();

            report.add(String.format(Locale.ROOT, "soak: %d s at a target of %.1f requests/s from %d users x %d "
                            + "sessions, streaming %s", ran.toSeconds(), rate, RunningPipeline.USERS.size(),
                    SESSIONS_PER_USER, streaming ? "on" : "off"));
            report.add(String.format(Locale.ROOT, "requests sent %d (%.1f/s): completions 200 %d (streams %d), "
                            + "upstream-unreachable 502 as intended %d, history reads %d, failures %d",
                    load.sent(), load.sent() / (double) Math.max(1, ran.toSeconds()), load.succeeded(), load.streamed(),
                    load.upstreamErrors(), load.historyReads(), load.failures()));
            load.failureSamples().forEach(failure -> report.add("  failure: " + failure));
            List<Long> latencies = load.sortedLatenciesMillis();
            report.add(String.format(Locale.ROOT, "client-side latency ms: p50 %d, p95 %d, p99 %d, max %d",
                    percentile(latencies, 50), percentile(latencies, 95), percentile(latencies, 99),
                    percentile(latencies, 100)));
            report.add("heap MiB (used / used after a full GC), outbox unsent, over time:");
            report.add("     t(s)     sent  failed  unsent   gateway heap    analytics heap");
            for (Sample s : samples) {
                report.add(String.format(Locale.ROOT, "  %6d  %7d  %6d  %6d  %6.1f / %6.1f   %6.1f / %6.1f",
                        s.elapsedSeconds(), s.sent(), s.failures(), s.unsent(), s.gatewayHeap(),
                        s.gatewayHeapAfterGc(), s.analyticsHeap(), s.analyticsHeapAfterGc()));
            }
            report.add(String.format(Locale.ROOT, "outbox: %d unsent when the load stopped, drained and reconciled "
                    + "%.1f s later; dead-letter queues empty; nothing pending", unsentAtEnd, drained.toMillis() / 1000.0));
            report.add("reconcile: " + reconcile);
            Files.write(Path.of("target", "soak-report.txt"), report);
            report.forEach(System.out::println);

            assertThat(load.failures()).as(String.join("\n", load.failureSamples())).isZero();
            assertThat(load.succeeded()).isPositive();
            assertThat(load.historyReads()).isPositive();
            if (streaming) {
                assertThat(load.streamed()).isPositive();
            }
        }
    }

    private static Sample sample(RunningPipeline pipeline, LoadGenerator load, Instant started) throws Exception {
        double gatewayHeap = heapMiB(pipeline.gateway);
        double analyticsHeap = heapMiB(pipeline.analytics);
        collectGarbage(pipeline.gateway);
        collectGarbage(pipeline.analytics);
        return new Sample(Duration.between(started, Instant.now()).toSeconds(), load.sent(), load.failures(),
                pipeline.unsentEvents(), gatewayHeap, heapMiB(pipeline.gateway), analyticsHeap,
                heapMiB(pipeline.analytics));
    }

    private static double heapMiB(ServiceProcess service) throws Exception {
        return RunningPipeline.gaugeValue(service, "jvm.memory.heap.used") / MIB;
    }

    /** Dropwizard's built-in admin task: what is left after it is what the service really holds on to. */
    private static void collectGarbage(ServiceProcess service) throws IOException, InterruptedException {
        HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.adminPort() + "/tasks/gc"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
    }

    private static long percentile(List<Long> sorted, int percent) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int index = (int) Math.ceil(percent / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    /** {@code 90s}, {@code 5m}, {@code 1h}, or ISO-8601 such as {@code PT5M}. */
    static Duration parseDuration(String text) {
        String value = text.strip().toLowerCase(Locale.ROOT);
        if (value.startsWith("pt")) {
            return Duration.parse(value.toUpperCase(Locale.ROOT));
        }
        long amount = Long.parseLong(value.replaceAll("[smh]$", ""));
        return switch (value.charAt(value.length() - 1)) {
            case 'h' -> Duration.ofHours(amount);
            case 'm' -> Duration.ofMinutes(amount);
            default -> Duration.ofSeconds(amount);
        };
    }
}
