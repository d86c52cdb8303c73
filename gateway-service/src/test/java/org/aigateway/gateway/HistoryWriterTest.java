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
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
    /** Writes every pending row at once. */
    private static final HistoryWriter WRITER = new HistoryWriter(JDBI, METRICS, Duration.ZERO);
    private static final MetricRegistry DEFERRING_METRICS = new MetricRegistry();
    /** Writes a pending row only after its request ran for 150 ms. */
    private static final HistoryWriter DEFERRING = new HistoryWriter(JDBI, DEFERRING_METRICS, Duration.ofMillis(150));
    /** Never writes a pending row while a test runs. */
    private static final HistoryWriter NEVER_OPENING = new HistoryWriter(JDBI, new MetricRegistry(),
            Duration.ofMinutes(1));

    @BeforeAll
    static void start() {
        WRITER.start();
        DEFERRING.start();
        NEVER_OPENING.start();
    }

    @AfterAll
    static void stop() throws Exception {
        WRITER.stop();
        DEFERRING.stop();
        NEVER_OPENING.stop();
    }

    @Test
    void concurrentRequestsInSharedSessionsAreCountedExactly() throws Exception {
        String user = "user-" + UUID.randomUUID();
        int threads = 16;
        int perThread = 50;
        inThreeSessions(threads, perThread, (session, i) -> {
            UUID id = UUID.randomUUID();
            OpenRow row = WRITER.open(pending(id, user, session));
            assertThat(WRITER.close(row, outcome(id, 10 + i % 7, new BigDecimal("0.000001")), events(2, user)))
                    .isTrue();
        });

        assertCountedExactly(user, threads * perThread, 3, new BigDecimal("0.0008"));
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
    void aRequestEndingWithinTheDelayIsWrittenOnceWhole() {
        String user = "user-" + UUID.randomUUID();
        UUID id = UUID.randomUUID();
        Pending pending = pending(id, user, "quick");
        OpenRow row = NEVER_OPENING.open(pending);
        assertThat(rowsOf(user)).isZero();

        assertThat(NEVER_OPENING.close(row, outcome(id, 9, new BigDecimal("0.25")), events(2, user))).isTrue();

        assertThat(row.written()).isCompletedWithValue(false);
        Map<String, Object> stored = JDBI.withHandle(h -> h.createQuery("SELECT status, user_id, session_id, "
                + "provider, model, stream, request_data::text AS request, gateway_instance, total_tokens, cost, "
                + "http_status, created_at, completed_at FROM request_history WHERE id = :id")
                .bind("id", id).mapToMap().one());
        assertThat(stored).containsEntry("status", "success").containsEntry("user_id", user)
                .containsEntry("session_id", "quick").containsEntry("provider", "mock")
                .containsEntry("model", "mock-1").containsEntry("stream", false)
                .containsEntry("request", "{\"model\": \"mock-1\"}").containsEntry("gateway_instance", "test")
                .containsEntry("total_tokens", 9L).containsEntry("http_status", 200);
        assertThat((BigDecimal) stored.get("cost")).isEqualByComparingTo("0.25");
        assertThat(((Timestamp) stored.get("created_at")).toInstant()).isEqualTo(pending.createdAt());
        assertThat(stored.get("completed_at")).isNotNull();
        assertThat(queuedFor(user)).isEqualTo(2);
        Map<String, Object> session = sessionOf(user, "quick");
        assertThat(session).containsEntry("status", "active").containsEntry("total_requests", 1L)
                .containsEntry("total_tokens", 9L);
        // Closed again, it is neither counted nor queued twice.
        assertThat(NEVER_OPENING.close(row, outcome(id, 9, new BigDecimal("0.25")), events(2, user))).isFalse();
        assertThat(queuedFor(user)).isEqualTo(2);
        assertThat(sessionOf(user, "quick")).containsEntry("total_requests", 1L);
    }

    @Test
    void everyValueIsStoredAsItWasWhateverCharactersItHolds() {
        String user = "user-" + UUID.randomUUID() + " \"quoted\", {braced} \\ NULL";
        String session = "s,\"1\"} \\ NULL";
        String request = "{\"model\": \"mock-1\", \"messages\": [{\"role\": \"user\", \"content\": "
                + "\"say \\\"hi\\\", {a,b} \\\\ back\\nslash NULL \u00fcber \u4f60\u597d \ud83d\ude00\"}]}";
        String error = "upstream said: \"no\", {x} \\ NULL\n\u00e9";
        String payload = "{\"text\": \"a \\\"b\\\" {c} \\\\ NULL \ud83d\ude00\"}";
        // Written whole, then opened first and closed: the two ways a row and its events reach the database.
        for (HistoryWriter writer : List.of(NEVER_OPENING, WRITER)) {
            UUID id = UUID.randomUUID();
            Pending pending = new Pending(id, Instant.now().truncatedTo(ChronoUnit.MICROS), user, null, session,
                    "mock", "mock-1", "mock-1", "chat.completion", false, request, "test");
            Outcome outcome = new Outcome(id, "error", request, error, 502, 502, 0, 0, 0, 0, 0, BigDecimal.ZERO, 5,
                    null);
            assertThat(writer.close(writer.open(pending), outcome,
                    List.of(OutboxMessage.unsaved(UUID.randomUUID(), user, payload)))).isTrue();

            Map<String, Object> stored = JDBI.withHandle(h -> h.createQuery("SELECT user_id, session_id, "
                            + "request_data = CAST(:request AS jsonb) AS same_request, "
                            + "response_data = CAST(:request AS jsonb) AS same_response, error_message, "
                            + "(SELECT payload FROM outbox WHERE routing_key = :user "
                            + "ORDER BY id DESC LIMIT 1) AS payload FROM request_history WHERE id = :id")
                    .bind("request", request).bind("user", user).bind("id", id).mapToMap().one());
            assertThat(stored).containsEntry("user_id", user).containsEntry("session_id", session)
                    .containsEntry("same_request", true).containsEntry("same_response", true)
                    .containsEntry("error_message", error).containsEntry("payload", payload);
        }
        assertThat(sessionOf(user, session)).containsEntry("total_requests", 2L);
    }

    @Test
    void rowsWrittenWholeAloneOrTogetherWithOrWithoutSessionsAreStoredAlike() {
        // One row alone and several together, with and without sessions: each a form of the statement of its own.
        List<List<String>> forms = List.of(Collections.singletonList(null), List.of("alone"),
                Arrays.asList(null, null, null), Arrays.asList("a", null, "a"));
        for (List<String> sessions : forms) {
            String user = "user-" + UUID.randomUUID();
            List<Pending> rows = new ArrayList<>();
            List<RequestHistoryDao.Closing> closings = new ArrayList<>();
            for (int i = 0; i < sessions.size(); i++) {
                UUID id = UUID.randomUUID();
                rows.add(pending(id, user, sessions.get(i)));
                closings.add(new RequestHistoryDao.Closing(outcome(id, 10 + i, new BigDecimal("0.5")),
                        events(2, user)));
            }

            boolean oneRow = rows.size() == 1;
            boolean inSessions = sessions.stream().anyMatch(s -> s != null);
            String statement = RequestHistoryDao.recordStatement(oneRow, inSessions);
            assertThat(statement.contains("unnest(CAST(:ids AS uuid[])")).isEqualTo(!oneRow);
            assertThat(statement.contains("INSERT INTO session_history")).isEqualTo(inSessions);

            Set<UUID> written = JDBI.withHandle(h -> RequestHistoryDao.recordAll(h, rows, closings));

            assertThat(written).containsExactlyInAnyOrderElementsOf(rows.stream().map(Pending::id).toList());
            for (int i = 0; i < rows.size(); i++) {
                Pending row = rows.get(i);
                Map<String, Object> stored = JDBI.withHandle(h -> h.createQuery("SELECT status, session_id, "
                        + "request_data::text AS request, response_data::text AS response, prompt_tokens, "
                        + "completion_tokens, total_tokens, cost, response_time_ms, created_at "
                        + "FROM request_history WHERE id = :id").bind("id", row.id()).mapToMap().one());
                Outcome outcome = closings.get(i).outcome();
                assertThat(stored).containsEntry("status", "success").containsEntry("session_id", row.sessionId())
                        .containsEntry("request", "{\"model\": \"mock-1\"}").containsEntry("response", "{}")
                        .containsEntry("prompt_tokens", outcome.promptTokens())
                        .containsEntry("completion_tokens", outcome.completionTokens())
                        .containsEntry("total_tokens", outcome.totalTokens()).containsEntry("response_time_ms", 5L);
                assertThat((BigDecimal) stored.get("cost")).isEqualByComparingTo("0.5");
                assertThat(((Timestamp) stored.get("created_at")).toInstant()).isEqualTo(row.createdAt());
            }
            assertThat(rowsOf(user)).isEqualTo(rows.size());
            assertThat(queuedFor(user)).isEqualTo(2L * rows.size());
            List<String> named = sessions.stream().filter(s -> s != null).toList();
            Map<String, Object> counted = Map.of("sessions", named.stream().distinct().count(),
                    "requests", (long) named.size());
            assertThat(sessionTotalsOf(user)).isEqualTo(counted);
            // Written again, nothing is stored, counted or queued twice.
            Set<UUID> writtenAgain = JDBI.withHandle(h -> RequestHistoryDao.recordAll(h, rows, closings));
            assertThat(writtenAgain).isEmpty();
            assertThat(rowsOf(user)).isEqualTo(rows.size());
            assertThat(queuedFor(user)).isEqualTo(2L * rows.size());
            assertThat(sessionTotalsOf(user)).isEqualTo(counted);
        }
    }

    @Test
    void aRequestWrittenWholeReopensItsEndedSessionAndAddsToIt() {
        String user = "user-" + UUID.randomUUID();
        UUID first = UUID.randomUUID();
        WRITER.close(WRITER.open(pending(first, user, "again")), outcome(first, 2, BigDecimal.ONE), events(1, user));
        JDBI.useHandle(h -> h.execute("UPDATE session_history SET status = 'ended', ended_at = now(), "
                + "duration_ms = 5 WHERE user_id = ?", user));
        UUID id = UUID.randomUUID();

        assertThat(NEVER_OPENING.closeLater(NEVER_OPENING.open(pending(id, user, "again")),
                outcome(id, 3, new BigDecimal("0.5")), events(1, user)).join()).isTrue();

        Map<String, Object> session = sessionOf(user, "again");
        assertThat(session).containsEntry("status", "active").containsEntry("ended_at", null)
                .containsEntry("duration_ms", null).containsEntry("total_requests", 2L)
                .containsEntry("total_tokens", 5L);
        assertThat((BigDecimal) session.get("total_cost")).isEqualByComparingTo("1.5");
    }

    @Test
    void aSessionEndedWhileARequestRanStaysEndedWhenTheRequestIsWrittenWhole() {
        String user = "user-" + UUID.randomUUID();
        UUID first = UUID.randomUUID();
        WRITER.close(WRITER.open(pending(first, user, "ending")), outcome(first, 2, BigDecimal.ONE), events(1, user));
        UUID id = UUID.randomUUID();
        OpenRow row = NEVER_OPENING.open(pending(id, user, "ending"));
        // Ended by its client after the request started.
        JDBI.useHandle(h -> h.execute("UPDATE session_history SET status = 'ended', ended_at = now() + interval '1 ms', "
                + "duration_ms = 5 WHERE user_id = ?", user));

        assertThat(NEVER_OPENING.close(row, outcome(id, 3, BigDecimal.ONE), events(1, user))).isTrue();

        Map<String, Object> session = sessionOf(user, "ending");
        assertThat(session).containsEntry("status", "ended").containsEntry("duration_ms", 5L)
                .containsEntry("total_requests", 2L).containsEntry("total_tokens", 5L);
        assertThat(session.get("ended_at")).isNotNull();
    }

    @Test
    void aRequestThatCannotBeWrittenWholeIsLeftPendingForTheSweep() throws Exception {
        String user = "user-" + UUID.randomUUID();
        UUID later = UUID.randomUUID();
        UUID now = UUID.randomUUID();
        // Negative tokens break a CHECK constraint.
        CompletableFuture<Boolean> closedLater = NEVER_OPENING.closeLater(NEVER_OPENING.open(pending(later, user,
                "broken")), outcome(later, -1, BigDecimal.ONE), events(1, user));
        assertThatThrownBy(closedLater::join).hasMessageContaining("check constraint");
        assertThatThrownBy(() -> NEVER_OPENING.close(NEVER_OPENING.open(pending(now, user, "broken")),
                outcome(now, -1, BigDecimal.ONE), events(1, user))).hasMessageContaining("check constraint");

        // Written in the background: the failed closing does not wait for it.
        Set<UUID> pending = Set.of();
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
             pending.size() < 2 && System.nanoTime() < deadline; Thread.sleep(20)) {
            pending = JDBI.withHandle(h -> h.createQuery("SELECT id FROM request_history WHERE user_id = :user "
                    + "AND status = 'pending'").bind("user", user).mapTo(UUID.class).set());
        }
        assertThat(pending).containsExactlyInAnyOrder(later, now);
        assertThat(queuedFor(user)).isZero();
        assertThat(sessionOf(user, "broken")).containsEntry("status", "active").containsEntry("total_requests", 0L);
    }

    @Test
    void requestsWrittenWholeAndRequestsOpenedFirstShareSessionsExactly() throws Exception {
        String user = "user-" + UUID.randomUUID();
        int threads = 16;
        int perThread = 30;
        List<OpenRow> rows = Collections.synchronizedList(new ArrayList<>());
        inThreeSessions(threads, perThread, (session, i) -> {
            UUID id = UUID.randomUUID();
            OpenRow row = DEFERRING.open(pending(id, user, session));
            rows.add(row);
            if (i % 3 == 0) {
                // Outlives the delay: its pending row is written, then closed.
                row.written().get(10, TimeUnit.SECONDS);
            }
            assertThat(DEFERRING.close(row, outcome(id, 10 + i % 7, new BigDecimal("0.000001")), events(2, user)))
                    .isTrue();
        });

        long opened = rows.stream().filter(r -> r.written().join()).count();
        assertThat(opened).isGreaterThanOrEqualTo(threads * 10L).isLessThan((long) threads * perThread);
        assertThat(DEFERRING_METRICS.histogram("history.records.batch-size").getCount()).isPositive();
        assertCountedExactly(user, threads * perThread, 3, new BigDecimal("0.00048"));
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

    /** One request, the {@code i}th of its thread, in the given session. */
    private interface SessionRequest {
        void run(String session, int i) throws Exception;
    }

    /**
     * Runs {@code perThread} requests on each of {@code threads} threads at once, those of thread {@code t} in
     * session {@code "s" + t % 3}, and returns once all are done; fails with the first request that failed.
     */
    private static void inThreeSessions(int threads, int perThread, SessionRequest request) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String session = "s" + (t % 3);
                done.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        request.run(session, i);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdown();
        }
    }

    /**
     * The user's requests are all closed, each with its 2 events, and its sessions add up to exactly what its rows
     * record.
     */
    private static void assertCountedExactly(String user, long requests, long sessionCount, BigDecimal cost) {
        Map<String, Object> history = JDBI.withHandle(h -> h.createQuery("SELECT count(*) AS requests, "
                        + "count(*) FILTER (WHERE status = 'pending') AS pending, sum(total_tokens)::bigint AS tokens, "
                        + "sum(cost) AS cost FROM request_history WHERE user_id = :user")
                .bind("user", user).mapToMap().one());
        Map<String, Object> sessions = JDBI.withHandle(h -> h.createQuery("SELECT count(*) AS sessions, "
                        + "sum(total_requests)::bigint AS requests, sum(total_tokens)::bigint AS tokens, "
                        + "sum(total_cost) AS cost FROM session_history WHERE user_id = :user")
                .bind("user", user).mapToMap().one());
        assertThat(history.get("requests")).isEqualTo(requests);
        assertThat(history.get("pending")).isEqualTo(0L);
        assertThat(sessions.get("sessions")).isEqualTo(sessionCount);
        assertThat(sessions.get("requests")).isEqualTo(history.get("requests"));
        assertThat(sessions.get("tokens")).isEqualTo(history.get("tokens"));
        assertThat((BigDecimal) history.get("cost")).isEqualByComparingTo(cost);
        assertThat((BigDecimal) sessions.get("cost")).isEqualByComparingTo((BigDecimal) history.get("cost"));
        assertThat(queuedFor(user)).isEqualTo(2L * requests);
    }

    private static long rowsOf(String user) {
        return JDBI.withHandle(h -> h.createQuery("SELECT count(*) FROM request_history WHERE user_id = :user")
                .bind("user", user).mapTo(Long.class).one());
    }

    private static Map<String, Object> sessionOf(String user, String session) {
        return JDBI.withHandle(h -> h.createQuery("SELECT status, ended_at, duration_ms, total_requests, "
                        + "total_tokens, total_cost FROM session_history WHERE user_id = :user AND session_id = :session")
                .bind("user", user).bind("session", session).mapToMap().one());
    }

    /** How many sessions the user has and how many requests they count in all. */
    private static Map<String, Object> sessionTotalsOf(String user) {
        return JDBI.withHandle(h -> h.createQuery("SELECT count(*) AS sessions, coalesce(sum(total_requests), 0)"
                        + "::bigint AS requests FROM session_history WHERE user_id = :user")
                .bind("user", user).mapToMap().one());
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
