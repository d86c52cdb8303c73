package org.aigateway.bench.report;

import org.aigateway.bench.Args;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * Turns one run's results file into the benchmark table, figures next to their goals with PASS or FAIL, prints it,
 * and puts it into the results section of {@code docs/benchmarks.md}.
 */
public final class BenchmarkReport {
    static final String START_MARKER = "<!-- results:start -->";
    static final String END_MARKER = "<!-- results:end -->";

    // The goals, each in one place.
    static final double GOAL_THROUGHPUT_RATIO = 3.0;
    static final int GOAL_THROUGHPUT_CONCURRENCY = 64;
    static final double GOAL_ADDED_P50_MS = 1.0;
    static final int GOAL_ADDED_P50_CONCURRENCY = 1;
    static final double GOAL_ADDED_P99_MS = 10.0;
    static final int GOAL_ADDED_P99_CONCURRENCY = 16;
    static final double GOAL_PIPELINE_RATIO = 0.6;
    static final int GOAL_STREAMS = 5_000;
    static final double GOAL_STREAM_HEAP_MB = 512;
    static final double GOAL_HISTORY_P99_MS = 20.0;
    static final long GOAL_HISTORY_ROWS = 10_000_000L;

    private static final String DIRECT = "direct";
    private static final String GATEWAY = "gateway";
    private static final String PORTKEY = "portkey";

    private final Results results;
    private final List<String> rows = new ArrayList<>();
    private int failed;

    BenchmarkReport(Results results) {
        this.results = results;
    }

    public static void run(Args args) throws Exception {
        BenchmarkReport report = new BenchmarkReport(Results.read(Path.of(args.string("results"))));
        String markdown = report.render();
        System.out.println(markdown);
        String output = args.string("output", "");
        if (!output.isEmpty()) {
            replaceResultsSection(Path.of(output), markdown);
            System.err.println("written to " + output);
        }
        System.err.println(report.failed == 0 ? "every goal measured was met" : report.failed + " goal(s) not met");
    }

    String render() {
        chat();
        pipeline();
        streams();
        history();
        StringBuilder text = new StringBuilder();
        text.append(machine()).append("\n\n");
        text.append("| Benchmark | Figure | Measured | Goal | Result |\n");
        text.append("|---|---|---|---|---|\n");
        rows.forEach(row -> text.append(row).append('\n'));
        return text.toString().stripTrailing();
    }

    private String machine() {
        String mode = results.text("config.mode", "default");
        return String.format(Locale.ROOT, "Measured %s in %s mode (each load %s; each chat load preceded by a "
                        + "discarded %s at its own concurrency, after a warm-up of at least %s that goes on until "
                        + "the target's CPU time per request settles, at most %s%s; wrk, the services, PostgreSQL and "
                        + "RabbitMQ on the same machine; PostgreSQL autovacuum %s).%n%n"
                        + "Machine: %s, %s cores, %s GiB RAM, %s. JDK %s; PostgreSQL %s; RabbitMQ %s; wrk %s; "
                        + "Node %s; Portkey gateway %s; gateway heap `-Xmx%s`. Load average (1, 5, 15 min) at the "
                        + "start: %s; at the end: %s.",
                results.text("machine.date", "?"), mode, results.text("config.duration", "?"),
                results.text("config.settle", "?"), results.text("config.warmup", "?"),
                results.text("config.warmup_max", "?"), warmUps(),
                results.text("machine.autovacuum", "?"), results.text("machine.cpu", "?"),
                results.text("machine.cores", "?"), results.text("machine.memory_gib", "?"),
                results.text("machine.os", "?"), results.text("machine.jdk", System.getProperty("java.runtime.version")),
                results.text("machine.postgresql", "?"), results.text("machine.rabbitmq", "?"),
                results.text("machine.wrk", "?"), results.text("machine.node", "?"),
                results.text("machine.portkey", "?"), results.text("config.gateway_heap", "?"),
                results.text("machine.load_start", "?"), results.text("machine.load_end", "?"));
    }

    /** How long each chat target was warmed up, and whether its CPU per request had settled by then. */
    private String warmUps() {
        StringBuilder text = new StringBuilder();
        for (String target : List.of("direct", "gateway", "portkey")) {
            String seconds = results.text("warmup." + target + ".seconds", null);
            if (seconds != null) {
                text.append(text.length() == 0 ? ": " : ", ").append(target).append(' ').append(seconds).append(" s")
                        .append("true".equals(results.text("warmup." + target + ".settled", "true")) ? ""
                                : " (not settled)");
            }
        }
        return text.toString();
    }

    private void chat() {
        List<Integer> levels = concurrencyLevels();
        String portkey = "through Portkey " + results.text("machine.portkey", "");
        for (int c : levels) {
            row("Chat c=" + c, "direct to the upstream", load("chat." + DIRECT + ".c" + c, "req/s"), "", "");
            row("Chat c=" + c, "through the gateway", load("chat." + GATEWAY + ".c" + c, "req/s"), "", "");
            row("Chat c=" + c, portkey.trim(), load("chat." + PORTKEY + ".c" + c, "req/s"), "", "");
        }

        int c = GOAL_THROUGHPUT_CONCURRENCY;
        OptionalDouble ours = results.number(chat(GATEWAY, c, "rps"));
        OptionalDouble theirs = results.number(chat(PORTKEY, c, "rps"));
        String goal = "≥ " + number(GOAL_THROUGHPUT_RATIO, 0) + "×";
        if (ours.isPresent() && theirs.isPresent() && theirs.getAsDouble() > 0) {
            double ratio = ours.getAsDouble() / theirs.getAsDouble();
            row("Chat c=" + c, "gateway ÷ Portkey, requests/s", number(ratio, 2) + "×", goal,
                    verdict(ratio >= GOAL_THROUGHPUT_RATIO && clean(chat(GATEWAY, c, ""))));
        } else {
            row("Chat c=" + c, "gateway ÷ Portkey, requests/s", "not measured", goal, "—");
        }
        if (results.has("chat.gateway.outbox_backlog")) {
            row("Chat", "gateway events not yet published when its last run ended (outbox backlog)",
                    number(results.whole("chat.gateway.outbox_backlog"), 0), "", "");
        }
        OptionalDouble whole = results.number("chat.gateway.history_records_rows");
        OptionalDouble openedFirst = results.number("chat.gateway.history_closings_rows");
        double all = whole.orElse(0) + openedFirst.orElse(0);
        if (whole.isPresent() && openedFirst.isPresent() && all > 0) {
            row("Chat", "gateway history rows written whole (request ended within history.pendingRowDelay), "
                            + "not opened as pending first; warm-up included",
                    number(whole.getAsDouble(), 0) + " of " + number(all, 0) + " ("
                            + number(100 * whole.getAsDouble() / all, 1) + "%)", "", "");
        }
        addedLatency("p50", GOAL_ADDED_P50_CONCURRENCY, GOAL_ADDED_P50_MS);
        addedLatency("p99", GOAL_ADDED_P99_CONCURRENCY, GOAL_ADDED_P99_MS);
        results.number("config.core_waits_concurrency").ifPresent(level -> {
            coreWaits((int) level);
            floor((int) level);
        });
        results.number("postgres.commit_ms").ifPresent(ms -> row("PostgreSQL",
                "one-row INSERT and commit, c=1 (pgbench); a lone gateway request waits for one such flushed commit",
                number(ms, 2) + " ms on average", "", ""));
    }

    private void addedLatency(String percentile, int c, double goalMs) {
        String figure = "gateway " + percentile + " − direct " + percentile + ", c=" + c;
        String goal = "≤ " + number(goalMs, 0) + " ms";
        OptionalDouble direct = results.number(chat(DIRECT, c, percentile + "_ms"));
        OptionalDouble ours = results.number(chat(GATEWAY, c, percentile + "_ms"));
        if (direct.isEmpty() || ours.isEmpty()) {
            row("Added latency", figure, "not measured", goal, "—");
            return;
        }
        double added = ours.getAsDouble() - direct.getAsDouble();
        OptionalDouble portkey = results.number(chat(PORTKEY, c, percentile + "_ms"));
        String measured = number(added, 2) + " ms" + (portkey.isPresent()
                ? " (Portkey: " + number(portkey.getAsDouble() - direct.getAsDouble(), 2) + " ms)" : "");
        row("Added latency", figure, measured, goal, verdict(added <= goalMs && clean(chat(GATEWAY, c, ""))));
    }

    /**
     * Where a request's time went in a further run through the gateway, sampled (run.sh's core_waits): each
     * process's time on a core and its threads' time waiting for one, per request.
     */
    private void coreWaits(int c) {
        String prefix = "cores." + GATEWAY + ".c" + c;
        double rps = results.number(prefix + ".rps").orElse(0);
        double requests = rps * results.number(prefix + ".sampled_seconds").orElse(0);
        if (requests <= 0) {
            row("Chat c=" + c, "where a gateway request's time went", "not measured", "", "");
            return;
        }
        StringBuilder processes = new StringBuilder();
        for (String name : results.text(prefix + ".processes", "").trim().split("\\s+")) {
            OptionalDouble run = results.number(prefix + "." + name + ".run_ms");
            OptionalDouble wait = results.number(prefix + "." + name + ".wait_ms");
            if (run.isPresent() && wait.isPresent()) {
                processes.append(" · ").append(name).append(' ')
                        .append(number(run.getAsDouble() / requests, 3)).append(" / ")
                        .append(number(wait.getAsDouble() / requests, 3)).append(" ms");
            }
        }
        row("Chat c=" + c, "where a gateway request's time went: a further run with every thread of these processes "
                        + "sampled (schedstat); per request, time on a core / time waiting for one",
                load(prefix, "req/s") + "; mean " + number(c / rps * 1000, 2) + " ms (" + c + " ÷ req/s); cores idle "
                        + results.text(prefix + ".idle_percent", "?") + "%" + processes, "", "");
    }

    /**
     * What the gateway costs a request that does none of a chat request's own work (run.sh's floor run): the model
     * list, through the same HTTP server, key check, Jersey, JSON writer and request log, once the relay had
     * published what the runs before left in the outbox.
     */
    private void floor(int c) {
        String prefix = "floor." + GATEWAY + ".c" + c;
        if (results.has(prefix + ".rps")) {
            long backlog = results.whole(prefix + ".outbox_backlog");
            row("Chat c=" + c, "the gateway's floor: `GET /v1/models` with the chat runs' key (HTTP server, cached "
                            + "key check, Jersey, JSON writer, request log; no upstream call, history or events)",
                    load(prefix, "req/s") + (backlog > 0 ? " · **" + number(backlog, 0)
                            + " events still in the outbox when it started**" : ""), "", "");
        }
    }

    private void pipeline() {
        if (!results.has("pipeline.events")) {
            row("Pipeline", "analytics ÷ broker alone", "not run", "≥ " + number(GOAL_PIPELINE_RATIO, 1) + "×", "—");
            return;
        }
        long events = results.whole("pipeline.events");
        double raw = results.number("pipeline.raw_per_s").orElse(0);
        double analytics = results.number("pipeline.analytics_per_s").orElse(0);
        row("Pipeline", "broker alone: publish with confirms → consume with acks",
                number(raw, 0) + " msg/s (" + number(events, 0) + " × " + results.text("pipeline.message_bytes", "?")
                        + " B" + runs("raw", "msg/s") + ", after a discarded run)", "", "");
        row("Pipeline", "analytics: publish with confirms → committed `user_analytics` totals",
                number(analytics, 0) + " events/s (" + number(events, 0) + runs("analytics", "events/s") + ")"
                        + analyticsCpuAndWarmUp(), "", "");
        double ratio = raw > 0 ? analytics / raw : 0;
        row("Pipeline", "analytics ÷ broker alone", number(ratio, 2) + "×",
                "≥ " + number(GOAL_PIPELINE_RATIO, 1) + "×", verdict(ratio >= GOAL_PIPELINE_RATIO));

        long published = results.whole("pipeline.published");
        long stored = results.whole("pipeline.stored_events");
        long ids = results.whole("pipeline.stored_published_ids");
        long total = results.whole("pipeline.total_requests");
        long tokens = results.whole("pipeline.total_tokens");
        long expectedTokens = results.whole("pipeline.expected_tokens");
        long deadLettered = results.whole("pipeline.dead_lettered");
        boolean exact = stored == published && ids == published && total == published && tokens == expectedTokens
                && deadLettered == 0;
        row("Pipeline", "each timed event counted exactly once", number(published, 0) + " published; "
                        + number(ids, 0) + " of their ids stored, " + number(stored, 0) + " rows; totals "
                        + number(total, 0) + " requests, " + number(tokens, 0) + " tokens (expected "
                        + number(expectedTokens, 0) + "); " + deadLettered + " dead-lettered",
                "exactly " + number(published, 0), verdict(exact));
    }

    /** How often one side of the pipeline was timed and how far apart its runs were; the figure is their median. */
    private String runs(String side, String unit) {
        long runs = (long) results.number("pipeline.runs").orElse(1);
        if (runs < 2) {
            return "";
        }
        return "; median of " + runs + " runs, "
                + number(results.number("pipeline." + side + "_min_per_s").orElse(0), 0) + " to "
                + number(results.number("pipeline." + side + "_max_per_s").orElse(0), 0) + " " + unit;
    }

    /** The analytics service's CPU time per timed event, and how it was warmed up. */
    private String analyticsCpuAndWarmUp() {
        return " · analytics CPU " + number(results.number("pipeline.analytics_cpu_ms").orElse(0), 3) + " ms/event"
                + " · after " + results.text("pipeline.warmup_rounds", "?") + " warm-up round(s) of "
                + number(results.whole("pipeline.warmup_events_per_round"), 0) + " events, "
                + results.text("pipeline.warmup_seconds", "?") + " s"
                + ("true".equals(results.text("pipeline.warmup_settled", "true")) ? ""
                        : " (CPU per event not settled)");
    }

    private void streams() {
        String goal = "all " + number(GOAL_STREAMS, 0) + " open at once and complete, 0 errors";
        if (!results.has("streams.requested")) {
            row("Streams", "SSE streams open at once through the gateway", "not run", goal, "—");
            return;
        }
        long requested = results.whole("streams.requested");
        long completed = results.whole("streams.completed");
        long failures = results.whole("streams.failed");
        long maxOpen = results.whole("streams.max_open");
        boolean allOpenAtOnce = maxOpen == requested;
        String kinds = results.startingWith("streams.failure.").entrySet().stream()
                .map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining(", "));
        String sample = results.startingWith("streams.failure_sample.").values().stream().findFirst()
                .map(s -> "; e.g. `" + s.replace("|", "\\|").replace("`", "'") + "`").orElse("");
        String scale = requested < GOAL_STREAMS ? " (" + number(requested, 0) + " streams; the goal is for "
                + number(GOAL_STREAMS, 0) + ")" : "";
        String shape = results.text("config.stream_chunks", "?") + " chunks " + results.text("config.stream_interval",
                "?") + " apart";
        row("Streams", number(requested, 0) + " SSE streams at once through the gateway (" + shape + ")",
                number(completed, 0) + " complete with `[DONE]`, " + number(failures, 0) + " failed"
                        + (kinds.isEmpty() ? "" : " (" + kinds + sample + ")") + "; at most "
                        + number(maxOpen, 0) + " open at once (reached after "
                        + results.text("streams.seconds_to_max_open", "?") + " s)",
                goal, verdict(completed == requested && allOpenAtOnce && failures == 0 && requested > 0)
                        + scale);
        OptionalDouble heap = results.number("streams.heap_max_mb");
        row("Streams", "gateway heap used, max (`-Xmx" + results.text("config.gateway_heap", "?") + "`) · threads, max",
                results.text("streams.heap_max_mb", "?") + " MB (before: " + results.text("streams.heap_before_mb", "?")
                        + ") · " + results.text("streams.threads_max", "?") + " threads (before: "
                        + results.text("streams.threads_before", "?") + ")",
                "heap ≤ " + number(GOAL_STREAM_HEAP_MB, 0) + " MB",
                (heap.isPresent() ? verdict(heap.getAsDouble() <= GOAL_STREAM_HEAP_MB && failures == 0
                        && allOpenAtOnce)
                        : verdict(false)) + scale);
    }

    private void history() {
        String goal = "p99 ≤ " + number(GOAL_HISTORY_P99_MS, 0) + " ms";
        if (!results.has("history.rows")) {
            row("History", "`GET /v1/history?limit=20`", "not run", goal, "—");
            return;
        }
        long rows = results.whole("history.rows");
        String scale = rows < GOAL_HISTORY_ROWS ? " (" + number(rows, 0) + " rows; the goal is for "
                + number(GOAL_HISTORY_ROWS, 0) + ")" : "";
        for (int c : List.of(1, 16)) {
            String prefix = "history.c" + c;
            OptionalDouble p99 = results.number(prefix + ".p99_ms");
            row("History c=" + c, "`GET /v1/history?limit=20`, one user's newest page; " + number(rows, 0)
                            + " rows, " + number(results.whole("history.user_rows"), 0) + " of them the user's",
                    load(prefix, "req/s"), goal,
                    (p99.isPresent() ? verdict(p99.getAsDouble() <= GOAL_HISTORY_P99_MS && clean(prefix + "."))
                            : "—") + scale);
        }
    }

    private String load(String prefix, String unit) {
        if (!results.has(prefix + ".rps")) {
            return "not run";
        }
        long errors = results.whole(prefix + ".errors") + results.whole(prefix + ".non2xx");
        return number(results.number(prefix + ".rps").orElse(0), 0) + " " + unit + " · p50 "
                + number(results.number(prefix + ".p50_ms").orElse(0), 2) + " ms · p99 "
                + number(results.number(prefix + ".p99_ms").orElse(0), 2) + " ms"
                + (results.has(prefix + ".cpu_ms") ? " · CPU " + number(results.number(prefix + ".cpu_ms")
                .orElse(0), 3) + " ms/req" : "")
                + (errors > 0 ? " · **" + number(errors, 0) + " errors**" : "");
    }

    /** A run without socket errors, timeouts or non-2xx answers; figures from any other are not a pass. */
    private boolean clean(String prefix) {
        String p = prefix.endsWith(".") ? prefix : prefix + ".";
        return results.has(p + "rps") && results.whole(p + "errors") == 0 && results.whole(p + "non2xx") == 0;
    }

    private List<Integer> concurrencyLevels() {
        List<Integer> levels = new ArrayList<>();
        for (String level : results.text("config.concurrency", "").trim().split("\\s+")) {
            if (!level.isEmpty()) {
                levels.add(Integer.parseInt(level));
            }
        }
        return levels;
    }

    private static String chat(String target, int concurrency, String figure) {
        return "chat." + target + ".c" + concurrency + (figure.isEmpty() ? "" : "." + figure);
    }

    private void row(String benchmark, String figure, String measured, String goal, String result) {
        rows.add("| " + benchmark + " | " + figure + " | " + measured + " | " + goal + " | " + result + " |");
    }

    private String verdict(boolean met) {
        if (!met) {
            failed++;
        }
        return met ? "PASS" : "**FAIL**";
    }

    private static String number(double value, int decimals) {
        return String.format(Locale.ROOT, "%,." + decimals + "f", value);
    }

    private static void replaceResultsSection(Path doc, String markdown) throws Exception {
        String text = Files.exists(doc) ? Files.readString(doc, StandardCharsets.UTF_8)
                : START_MARKER + "\n" + END_MARKER + "\n";
        int start = text.indexOf(START_MARKER);
        int end = text.indexOf(END_MARKER);
        if (start < 0 || end < start) {
            throw new IllegalStateException(doc + " has no " + START_MARKER + " … " + END_MARKER + " section");
        }
        String updated = text.substring(0, start + START_MARKER.length()) + "\n" + markdown + "\n"
                + text.substring(end);
        Files.writeString(doc, updated, StandardCharsets.UTF_8);
    }
}
