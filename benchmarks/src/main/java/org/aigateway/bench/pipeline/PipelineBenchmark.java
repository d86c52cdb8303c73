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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeoutException;

/**
 * Events per second from publishing to committed aggregates: N usage events published with confirms to a running
 * analytics service, timed until its {@code user_analytics} totals reach N, in {@code --runs} runs after a warm-up;
 * then checked that every event was counted exactly once. Measured next to the broker's own limit for the same
 * messages ({@link BrokerBaseline}), timed as often, and each side's median is its figure.
 */
public final class PipelineBenchmark {
    /** Followed by the timed run's number: each run's events are for users of their own. */
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
        int runs = args.integer("runs", 3);
        if (runs < 1) {
            throw new IllegalArgumentException("--runs must be at least 1, got " + runs);
        }
        int confirmWindow = args.integer("confirm-window");
        Duration settle = args.duration("settle", Duration.ofSeconds(2));
        Duration timeout = args.duration("timeout", Duration.ofMinutes(10));
        long analyticsPid = Long.parseLong(args.string("analytics-pid"));
        ProcessCpu analytics = new ProcessCpu(analyticsPid);
        int clockTicks = args.integer("clock-ticks", 100);

        BenchEvents factory = new BenchEvents();
        List<List<BenchEvents.Prepared>> timed = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            timed.add(factory.build(USER_PREFIX + run + "-", count, users));
        }
        List<BenchEvents.Prepared> events = timed.get(0);
        Figures figures = new Figures("pipeline").put("events", count).put("runs", runs)
                .put("message_bytes", events.stream().mapToInt(e -> e.body().length).sum() / count);

        BrokerBaseline baseline = new BrokerBaseline(args.string("raw-amqp-uri"), args.integer("prefetch"),
                args.integer("ack-every"), confirmWindow);
        // Discarded: it lets the JIT compile this process's own publisher and consumer, as the analytics service is
        // warmed up before it is timed.
        baseline.measure(events, timeout);
        double[] raw = new double[runs];
        for (int run = 0; run < runs; run++) {
            raw[run] = count / baseline.measure(events, timeout);
        }
        putRange(figures, "raw", raw);

        ConnectionFactory broker = new ConnectionFactory();
        broker.setUri(args.string("analytics-amqp-uri"));
        try (Connection connection = broker.newConnection("bench:pipeline-publisher")) {
            ConfirmedPublisher publisher = new ConfirmedPublisher(connection, confirmWindow);
            warmUp(figures, publisher, analytics, factory, count, users, timeout);
            // The warm-up's writes are flushed now rather than by a checkpoint during the timed runs.
            checkpoint();

            Profile profile = Profile.start(args, analyticsPid);
            double[] perSecond = new double[runs];
            ProcessCpu.Sample before = analytics.sample();
            for (int run = 0; run < runs; run++) {
                long started = System.nanoTime();
                publisher.publishAll(timed.get(run), Topology.EVENTS_QUEUE, timeout);
                awaitTotal(USER_PREFIX + (run + 1) + "-", count, timeout);
                perSecond[run] = count / ((System.nanoTime() - started) / 1e9);
            }
            ProcessCpu.Spent spent = analytics.sample().since(before);
            profile.stop();
            putRange(figures, "analytics", perSecond);
            figures.put("analytics_cpu_ms", format(spent.ticks() * 1000.0 / clockTicks / ((long) count * runs)));

            // Anything counted twice would show up after the first time the totals reached N.
            Thread.sleep(settle.toMillis());
            List<BenchEvents.Prepared> published = timed.stream().flatMap(List::stream).toList();
            figures.put("published", published.size())
                    .put("total_requests", total(USER_PREFIX))
                    .put("total_tokens", longValue("SELECT coalesce(sum(total_tokens), 0) FROM user_analytics "
                            + "WHERE user_id LIKE '" + USER_PREFIX + "%'"))
                    .put("expected_tokens", (long) published.size()
                            * (BenchEvents.PROMPT_TOKENS + BenchEvents.COMPLETION_TOKENS))
                    .put("stored_events", longValue("SELECT count(*) FROM analytics_events WHERE user_id LIKE '"
                            + USER_PREFIX + "%'"))
                    .put("stored_published_ids", storedIds(published))
                    .put("dead_lettered", deadLettered(connection));
        }
        figures.print();
    }

    /** The median of the runs' rates as {@code NAME_per_s}, with the slowest and fastest run. */
    private static void putRange(Figures figures, String name, double[] perSecond) {
        double[] sorted = perSecond.clone();
        Arrays.sort(sorted);
        figures.put(name + "_per_s", format(median(sorted)))
                .put(name + "_min_per_s", format(sorted[0]))
                .put(name + "_max_per_s", format(sorted[sorted.length - 1]));
    }

    /** The median of sorted values. */
    static double median(double[] sorted) {
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /**
     * Rounds of events for other users until the analytics service is warm by the chat part's rule
     * ({@link WarmUpRule}), for at least {@code --warmup-min} and at most {@code --warmup-max}: on two shared cores
     * its JIT compiler may need more than one round, and what it has not compiled yet would be measured as the
     * pipeline's own cost.
     */
    private void warmUp(Figures figures, ConfirmedPublisher publisher, ProcessCpu analytics, BenchEvents factory,
                        int eventsPerRound, int users, Duration timeout) throws Exception {
        long minNanos = args.duration("warmup-min", Duration.ZERO).toNanos();
        long maxNanos = args.duration("warmup-max", Duration.ofMinutes(3)).toNanos();
        WarmUpRule rule = new WarmUpRule(args.integer("settled-change-percent", 10) / 100.0,
                args.integer("settled-jit-percent", 5) / 100.0);
        long started = System.nanoTime();
        boolean settled = false;
        int round = 0;
        while (!settled && System.nanoTime() - started < maxNanos) {
            round++;
            List<BenchEvents.Prepared> events = factory.build(WARMUP_PREFIX + round + "-", eventsPerRound, users);
            ProcessCpu.Sample before = analytics.sample();
            publisher.publishAll(events, Topology.EVENTS_QUEUE, timeout);
            awaitTotal(WARMUP_PREFIX, (long) round * eventsPerRound, timeout);
            ProcessCpu.Spent spent = analytics.sample().since(before);
            boolean warm = rule.settledAfter((double) spent.ticks() / eventsPerRound, spent.jitShare());
            settled = warm && System.nanoTime() - started >= minNanos;
            System.err.printf("warm-up round %d: %d events, CPU %d ticks, JIT compiler %.1f%% of it%n", round,
                    eventsPerRound, spent.ticks(), spent.jitShare() * 100);
        }
        figures.put("warmup_rounds", round)
                .put("warmup_events_per_round", eventsPerRound)
                .put("warmup_seconds", (System.nanoTime() - started) / 1_000_000_000)
                .put("warmup_settled", settled);
    }

    private void checkpoint() {
        try (var statement = database.createStatement()) {
            statement.execute("CHECKPOINT");
        } catch (SQLException e) {
            System.err.println("no CHECKPOINT before the timed runs (" + e.getMessage() + ")");
        }
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
