package org.aigateway.gateway;

import com.codahale.metrics.MetricRegistry;
import org.aigateway.gateway.history.HistoryWriter;
import org.aigateway.gateway.history.HistoryWriter.OpenRow;
import org.aigateway.gateway.history.RequestHistoryDao;
import org.aigateway.gateway.history.RequestHistoryDao.Outcome;
import org.aigateway.gateway.history.RequestHistoryDao.Pending;
import org.aigateway.gateway.outbox.OutboxMessage;
import org.aigateway.support.testing.TestDatabase;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Openings and closings of requests running at the same time share statements: the rows, session counters and
 * outbox events come out exactly as if each had been written alone, a bad row fails only its own request, and a
 * row lost before its closing is written again.
 */
class HistoryWriterTest {
    private static final TestDatabase DB = TestDatabase.migrated("gateway_history_writer", GatewayApplication.CHANGELOG);
    private static final Jdbi JDBI = Jdbi.create(DB::connect).installPlugin(new SqlObjectPlugin())
            .installPlugin(new PostgresPlugin());
    private static final MetricRegistry METRICS = new MetricRegistry();
    private static final HistoryWriter WRITER = new HistoryWriter(JDBI, METRICS);

    @BeforeAll
    static void start() {
        WRITER.start();
    }

    @AfterAll
    static void stop() throws Exception {
        WRITER.stop();
    }

    @Test
    void concurrentRequestsInSharedSessionsAreCountedExactly() throws Exception {
        String user = "user-" + UUID.randomUUID();
        int threads = 16;
        int perThread = 50;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String session = "s" + (t % 3);
            done.add(pool.submit(() -> {
                for (int i = 0; i < perThread; i++) {
                    UUID id = UUID.randomUUID();
                    OpenRow row = WRITER.open(pending(id, user, session));
                    assertThat(WRITER.close(row, outcome(id, 10 + i % 7, new BigDecimal("0.000001")),
                            events(2, user))).isTrue();
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();

        Map<String, Object> history = JDBI.withHandle(h -> h.createQuery("SELECT count(*) AS requests, "
                        + "count(*) FILTER (WHERE status = 'pending') AS pending, sum(total_tokens)::bigint AS tokens, "
                        + "sum(cost) AS cost FROM request_history WHERE user_id = :user")
                .bind("user", user).mapToMap().one());
        Map<String, Object> sessions = JDBI.withHandle(h -> h.createQuery("SELECT count(*) AS sessions, "
                        + "sum(total_requests)::bigint AS requests, sum(total_tokens)::bigint AS tokens, sum(total_cost) AS cost "
                        + "FROM session_history WHERE user_id = :user")
                .bind("user", user).mapToMap().one());
        assertThat(history.get("requests")).isEqualTo((long) threads * perThread);
        assertThat(history.get("pending")).isEqualTo(0L);
        assertThat(sessions.get("sessions")).isEqualTo(3L);
        assertThat(sessions.get("requests")).isEqualTo(history.get("requests"));
        assertThat(sessions.get("tokens")).isEqualTo(history.get("tokens"));
        assertThat((BigDecimal) sessions.get("cost")).isEqualByComparingTo((BigDecimal) history.get("cost"));
        assertThat((BigDecimal) history.get("cost")).isEqualByComparingTo(new BigDecimal("0.0008"));
        assertThat(queuedFor(user)).isEqualTo(2L * threads * perThread);
        // Sixteen threads at once: some statements served several requests.
        assertThat(METRICS.histogram("history.closings.batch-size").getSnapshot().getMax()).isGreaterThan(1);
        assertThat(METRICS.histogram("history.openings.batch-size").getSnapshot().getMax()).isGreaterThan(1);
    }

    @Test
    void aSecondClosingIsNotCountedAndQueuesNothing() {
        String user = "user-" + UUID.randomUUID();
        UUID id = UUID.randomUUID();
        OpenRow row = WRITER.open(pending(id, user, "once"));
        assertThat(WRITER.close(row, outcome(id, 5, BigDecimal.ONE), events(2, user))).isTrue();
        assertThat(WRITER.close(row, outcome(id, 5, BigDecimal.ONE), events(2, user))).isFalse();
        assertThat(queuedFor(user)).isEqualTo(2);
        assertThat((long) JDBI.withHandle(h -> h.createQuery("SELECT total_requests FROM session_history "
                + "WHERE user_id = :user").bind("user", user).mapTo(Long.class).one())).isEqualTo(1L);
    }

    @Test
    void aBadRowFailsOnlyItsOwnRequest() throws Exception {
        String user = "user-" + UUID.randomUUID();
        List<CompletableFuture<Boolean>> good = new ArrayList<>();
        CompletableFuture<Boolean> bad = null;
        for (int i = 0; i < 40; i++) {
            UUID id = UUID.randomUUID();
            OpenRow row = WRITER.open(pending(id, user, null));
            // Negative tokens break a CHECK constraint: the statement holding it fails as a whole.
            Outcome outcome = i == 20 ? outcome(id, -1, BigDecimal.ONE) : outcome(id, 3, BigDecimal.ONE);
            CompletableFuture<Boolean> closed = WRITER.closeLater(row, outcome, events(1, user));
            if (i == 20) {
                bad = closed;
            } else {
                good.add(closed);
            }
        }
        for (CompletableFuture<Boolean> closed : good) {
            assertThat(closed.get()).isTrue();
        }
        CompletableFuture<Boolean> failed = bad;
        assertThatThrownBy(failed::join).hasMessageContaining("check constraint");
        assertThat(queuedFor(user)).isEqualTo(39);
        assertThat((long) JDBI.withHandle(h -> h.createQuery("SELECT count(*) FROM request_history "
                + "WHERE user_id = :user AND status = 'pending'").bind("user", user).mapTo(Long.class).one()))
                .isEqualTo(1L);
    }

    @Test
    void aRowLostBeforeItsClosingIsWrittenAgainWithIt() {
        String user = "user-" + UUID.randomUUID();
        UUID id = UUID.randomUUID();
        OpenRow row = WRITER.open(pending(id, user, "restored"));
        row.written().join();
        // What a database crash does to an opening whose commit was not yet flushed.
        JDBI.useHandle(h -> h.execute("DELETE FROM request_history WHERE id = ?", id));

        assertThat(WRITER.close(row, outcome(id, 8, new BigDecimal("0.5")), events(2, user))).isTrue();

        Map<String, Object> stored = JDBI.withHandle(h -> h.createQuery("SELECT status, total_tokens, user_id "
                + "FROM request_history WHERE id = :id").bind("id", id).mapToMap().one());
        assertThat(stored).containsEntry("status", "success").containsEntry("total_tokens", 8L)
                .containsEntry("user_id", user);
        assertThat(queuedFor(user)).isEqualTo(2);
    }

    @Test
    void aClosingWaitsForItsOpening() throws Exception {
        String user = "user-" + UUID.randomUUID();
        UUID first = UUID.randomUUID();
        WRITER.close(WRITER.open(pending(first, user, "held")), outcome(first, 1, BigDecimal.ONE), events(1, user));
        UUID id = UUID.randomUUID();
        OpenRow row;
        CompletableFuture<Boolean> closed;
        try (Handle holder = JDBI.open()) {
            // The opening reopens this session, so it waits for the lock until the holder lets go.
            holder.begin();
            holder.createQuery("SELECT 1 FROM session_history WHERE user_id = :user FOR UPDATE")
                    .bind("user", user).mapTo(Integer.class).one();
            row = WRITER.open(pending(id, user, "held"));
            closed = WRITER.closeLater(row, outcome(id, 4, BigDecimal.ONE), events(2, user));
            Thread.sleep(300);
            assertThat(row.written()).isNotDone();
            assertThat(closed).isNotDone();
            holder.rollback();
        }
        assertThat(closed.get(10, TimeUnit.SECONDS)).isTrue();
        // The opening wrote the row; a closing that had not waited for it would have written it first instead.
        assertThat(row.written().get(10, TimeUnit.SECONDS)).isTrue();
        Map<String, Object> history = JDBI.withHandle(h -> h.createQuery("SELECT status, total_tokens "
                + "FROM request_history WHERE id = :id").bind("id", id).mapToMap().one());
        assertThat(history).containsEntry("status", "success").containsEntry("total_tokens", 4L);
        assertThat(queuedFor(user)).isEqualTo(3);
        assertThat((long) JDBI.withHandle(h -> h.createQuery("SELECT total_requests FROM session_history "
                + "WHERE user_id = :user").bind("user", user).mapTo(Long.class).one())).isEqualTo(2L);
    }

    @Test
    void openingsWithoutFlushLeaveTheConnectionDurable() {
        String setting = JDBI.withHandle(h -> {
            h.attach(RequestHistoryDao.class).openAll(List.of(pending(UUID.randomUUID(), "u-" + UUID.randomUUID(),
                    null)), false);
            return h.createQuery("SHOW synchronous_commit").mapTo(String.class).one();
        });
        assertThat(setting).isEqualTo("on");
    }

    private static long queuedFor(String user) {
        return JDBI.withHandle(h -> h.createQuery("SELECT count(*) FROM outbox WHERE routing_key = :user")
                .bind("user", user).mapTo(Long.class).one());
    }

    /** Events routed to the user's name, so each test can count its own. */
    private static List<OutboxMessage> events(int count, String routingKey) {
        List<OutboxMessage> events = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            events.add(OutboxMessage.unsaved(UUID.randomUUID(), routingKey, "{}"));
        }
        return events;
    }

    private static Pending pending(UUID id, String userId, String session) {
        return new Pending(id, Instant.now().truncatedTo(ChronoUnit.MICROS), userId, null, session, "mock", "mock-1",
                "mock-1", "chat.completion", false, "{\"model\":\"mock-1\"}", "test");
    }

    private static Outcome outcome(UUID id, long tokens, BigDecimal cost) {
        return new Outcome(id, "success", "{}", null, 200, 200, tokens / 2, tokens - tokens / 2, tokens, 0, 0, cost,
                5, null);
    }
}
