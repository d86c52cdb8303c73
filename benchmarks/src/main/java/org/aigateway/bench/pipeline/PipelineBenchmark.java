package org.aigateway.bench.pipeline;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import org.aigateway.bench.Args;
import org.aigateway.bench.Figures;
import org.aigateway.bench.ProcessCpu;
import org.aigateway.contracts.Topology;

import java.sql.Array;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeoutException;

/**
 * Events per second from publishing to committed aggregates: N usage events published with confirms to a running
 * analytics service, timed until its {@code user_analytics} totals reach N; then checked that every event was
 * counted exactly once. Measured next to the broker's own limit for the same messages ({@link BrokerBaseline}).
 */
public final class PipelineBenchmark {
    private static final String USER_PREFIX = "pipeline-user-";
    private static final String WARMUP_PREFIX = "warmup-user-";
    private static final int VERIFY_CHUNK = 10_000;

    private final Args args;
    /** One connection for every check, so polling the totals does not open a PostgreSQL backend each time. */
    private final java.sql.Connection database;

    private PipelineBenchmark(Args args, java.sql.Connection database) {
        this.args = args;
        this.database = database;
    }

    public static void run(Args args) throws Exception {
        try (java.sql.Connection database = DriverManager.getConnection(args.string("analytics-db-url"),
                args.string("db-user", "postgres"), args.string("db-password", ""))) {
            new PipelineBenchmark(args, database).measure();
        }
    }

    private void measure() throws Exception {
        int count = args.integer("events");
        int users = args.integer("users", 100);
        // Events per warm-up round: as many as are measured.
        int warmup = args.integer("warmup-events", count);
        int baselineRuns = args.integer("baseline-runs", 3);
        int confirmWindow = args.integer("confirm-window");
        Duration settle = args.duration("settle", Duration.ofSeconds(2));
        Duration timeout = args.duration("timeout", Duration.ofMinutes(10));
        Duration warmupMax = args.duration("warmup-max", Duration.ofMinutes(3));
        ProcessCpu analytics = new ProcessCpu(Long.parseLong(args.string("analytics-pid")));
        int clockTicks = args.integer("clock-ticks", 100);

        BenchEvents factory = new BenchEvents();
        List<BenchEvents.Prepared> events = factory.build(USER_PREFIX, count, users);
        Figures figures = new Figures("pipeline").put("events", count)
                .put("message_bytes", events.stream().mapToInt(e -> e.body().length).sum() / count);

        measureBaseline(figures, events, factory.build(WARMUP_PREFIX, warmup, users), baselineRuns, confirmWindow,
                timeout);

        ConnectionFactory broker = new ConnectionFactory();
        broker.setUri(args.string("analytics-amqp-uri"));
        try (Connection connection = broker.newConnection("bench:pipeline-publisher")) {
            ConfirmedPublisher publisher = new ConfirmedPublisher(connection, confirmWindow);
            warmUp(figures, publisher, analytics, factory, warmup, users, warmupMax, timeout);

            ProcessCpu.Sample before = analytics.sample();
            long started = System.nanoTime();
            publisher.publishAll(events, Topology.EVENTS_QUEUE, timeout);
            double publishSeconds = (System.nanoTime() - started) / 1e9;
            awaitTotal(USER_PREFIX, count, timeout);
            double seconds = (System.nanoTime() - started) / 1e9;
            figures.put("publish_seconds", format(publishSeconds)).put("analytics_seconds", format(seconds))
                    .put("analytics_per_s", format(count / seconds))
                    .put("analytics_cpu_ms", format(analytics.sample().since(before).ticks() * 1000.0 / clockTicks
                            / count));

            // Anything counted twice would show up after the first time the totals reached N.
            Thread.sleep(settle.toMillis());
            figures.put("total_requests", total(USER_PREFIX))
                    .put("total_tokens", longValue("SELECT coalesce(sum(total_tokens), 0) FROM user_analytics "
                            + "WHERE user_id LIKE '" + USER_PREFIX + "%'"))
                    .put("expected_tokens", count * (BenchEvents.PROMPT_TOKENS + BenchEvents.COMPLETION_TOKENS))
                    .put("stored_events", longValue("SELECT count(*) FROM analytics_events WHERE user_id LIKE '"
                            + USER_PREFIX + "%'"))
                    .put("stored_published_ids", storedIds(events))
                    .put("dead_lettered", deadLettered(connection));
        }
        figures.print();
    }

    /**
     * The broker alone, timed {@code runs} times after a discarded run that lets the JIT compile this process's own
     * publisher and consumer, as the analytics service is warmed up before it is timed; the median is the limit.
     */
    private void measureBaseline(Figures figures, List<BenchEvents.Prepared> events,
                                 List<BenchEvents.Prepared> warmupEvents, int runs, int confirmWindow,
                                 Duration timeout) throws Exception {
        BrokerBaseline baseline = new BrokerBaseline(args.string("raw-amqp-uri"), args.integer("prefetch"),
                args.integer("ack-every"), confirmWindow);
        baseline.measure(warmupEvents, timeout);
        double[] perSecond = new double[runs];
        for (int run = 0; run < runs; run++) {
            perSecond[run] = events.size() / baseline.measure(events, timeout);
        }
        double[] sorted = perSecond.clone();
        Arrays.sort(sorted);
        double median = runs % 2 == 1 ? sorted[runs / 2] : (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2;
        figures.put("raw_runs", runs)
                .put("raw_per_s", format(median))
                .put("raw_min_per_s", format(sorted[0]))
                .put("raw_max_per_s", format(sorted[runs - 1]));
    }

    /**
     * Rounds of events for other users until the analytics service's CPU time per event settles ({@link WarmUp}), at
     * most for {@code max}: on two shared cores its JIT compiler may need more than one round, and what it has not
     * compiled yet would be measured as the pipeline's own cost.
     */
    private void warmUp(Figures figures, ConfirmedPublisher publisher, ProcessCpu analytics, BenchEvents factory,
                        int perRound, int users, Duration max, Duration timeout) throws Exception {
        long started = System.nanoTime();
        WarmUp rule = new WarmUp();
        boolean settled = false;
        int round = 0;
        while (!settled && System.nanoTime() - started < max.toNanos()) {
            round++;
            ProcessCpu.Sample before = analytics.sample();
            publisher.publishAll(factory.build(WARMUP_PREFIX + round + "-", perRound, users), Topology.EVENTS_QUEUE,
                    timeout);
            awaitTotal(WARMUP_PREFIX, (long) round * perRound, timeout);
            ProcessCpu.Sample spent = analytics.sample().since(before);
            double jitShare = spent.ticks() > 0 ? (double) spent.jitTicks() / spent.ticks() : 0;
            settled = rule.settledAfter((double) spent.ticks() / perRound, jitShare);
            System.err.printf("warm-up round %d: %d events, CPU %d ticks, JIT compiler %.0f%% of it%n", round, perRound,
                    spent.ticks(), jitShare * 100);
        }
        figures.put("warmup_rounds", round)
                .put("warmup_events", perRound)
                .put("warmup_seconds", (System.nanoTime() - started) / 1_000_000_000)
                .put("warmup_settled", settled);
    }

    private void awaitTotal(String prefix, long expected, Duration timeout) throws SQLException, InterruptedException,
            TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long seen;
        while ((seen = total(prefix)) < expected) {
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("user_analytics counted " + seen + " of " + expected + " events within "
                        + timeout);
            }
            Thread.sleep(20);
        }
    }

    private long total(String prefix) throws SQLException {
        return longValue("SELECT coalesce(sum(total_requests), 0) FROM user_analytics WHERE user_id LIKE '" + prefix
                + "%'");
    }

    /** How many of the published event ids are stored; with event_id unique, N means each exactly once. */
    private long storedIds(List<BenchEvents.Prepared> events) throws SQLException {
        long stored = 0;
        try (PreparedStatement query = database.prepareStatement(
                "SELECT count(*) FROM analytics_events WHERE event_id = ANY (?)")) {
            for (int from = 0; from < events.size(); from += VERIFY_CHUNK) {
                UUID[] ids = events.subList(from, Math.min(events.size(), from + VERIFY_CHUNK)).stream()
                        .map(BenchEvents.Prepared::eventId).toArray(UUID[]::new);
                Array array = database.createArrayOf("uuid", ids);
                query.setArray(1, array);
                try (ResultSet rows = query.executeQuery()) {
                    rows.next();
                    stored += rows.getLong(1);
                }
            }
        }
        return stored;
    }

    private static long deadLettered(Connection connection) throws Exception {
        try (Channel channel = connection.createChannel()) {
            return channel.queueDeclarePassive(Topology.deadLetterQueue(Topology.EVENTS_QUEUE)).getMessageCount();
        }
    }

    private long longValue(String sql) throws SQLException {
        try (var statement = database.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static String format(double value) {
        return String.format(java.util.Locale.ROOT, "%.3f", value);
    }
}
