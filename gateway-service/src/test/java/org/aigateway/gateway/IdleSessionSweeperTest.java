package org.aigateway.gateway;

import com.codahale.metrics.Meter;
import org.aigateway.gateway.session.IdleSessionSweeper;
import org.aigateway.gateway.session.SessionDao;
import org.aigateway.support.testing.TestDatabase;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** The idle session sweep against real PostgreSQL: what it ends, as of when, and with several sweepers at once. */
class IdleSessionSweeperTest {
    private static final TestDatabase DB = TestDatabase.migrated("gateway", GatewayApplication.CHANGELOG);
    private static final Jdbi JDBI = Jdbi.create(DB::connect)
            .installPlugin(new SqlObjectPlugin())
            .installPlugin(new PostgresPlugin());
    private static final SessionDao SESSIONS = JDBI.onDemand(SessionDao.class);
    private static final Duration IDLE = Duration.ofMinutes(1);

    @AfterAll
    static void dropDatabase() {
        DB.close();
    }

    @Test
    void endsOnlySessionsIdleLongerThanTheTimeoutAsOfTheirLastRequest() {
        String user = "user-" + UUID.randomUUID();
        session(user, "idle", "now() - interval '1 hour'", "now() - interval '2 minutes'");
        session(user, "recent", "now() - interval '1 hour'", "now() - interval '30 seconds'");
        session(user, "ended", "now() - interval '1 hour'", "now() - interval '2 hours'");
        SESSIONS.end(user, "ended");
        Map<String, Object> endedBefore = row(user, "ended");

        int ended = sweeper().sweep();

        assertThat(ended).isGreaterThanOrEqualTo(1);
        Map<String, Object> idle = row(user, "idle");
        assertThat(idle).containsEntry("status", "ended");
        assertThat(idle.get("ended_at")).isEqualTo(idle.get("last_request_at"));
        assertThat(idle.get("duration_ms")).isEqualTo(Duration.ofMinutes(58).toMillis());
        assertThat(row(user, "recent")).containsEntry("status", "active").containsEntry("ended_at", null);
        assertThat(row(user, "ended")).isEqualTo(endedBefore);
    }

    @Test
    void severalSweepersEndEachIdleSessionExactlyOnce() throws Exception {
        String user = "user-" + UUID.randomUUID();
        // More than one batch of the sweeper, so each one loops.
        JDBI.useHandle(handle -> handle.execute("""
                INSERT INTO session_history (user_id, session_id, started_at, last_request_at)
                SELECT ?, 's-' || n, now() - interval '1 day', now() - interval '1 hour' - n * interval '1 second'
                FROM generate_series(1, 2500) AS n""", user));
        ExecutorService threads = Executors.newFixedThreadPool(4);
        List<Callable<Integer>> sweeps = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            sweeps.add(() -> sweeper().sweep());
        }

        int total = 0;
        try {
            for (Future<Integer> sweep : threads.invokeAll(sweeps)) {
                total += sweep.get();
            }
        } finally {
            threads.shutdownNow();
        }

        long stillActive = JDBI.withHandle(handle -> handle.createQuery(
                        "SELECT count(*) FROM session_history WHERE user_id = ? AND status = 'active'")
                .bind(0, user).mapTo(Long.class).one());
        assertThat(stillActive).isZero();
        assertThat(total).isEqualTo(2500);
    }

    @Test
    void aSessionHeldByAnotherTransactionIsSkippedNotWaitedFor() {
        String user = "user-" + UUID.randomUUID();
        session(user, "held", "now() - interval '1 hour'", "now() - interval '10 minutes'");
        session(user, "free", "now() - interval '1 hour'", "now() - interval '10 minutes'");

        try (Handle holder = JDBI.open()) {
            holder.begin();
            holder.createQuery("SELECT 1 FROM session_history WHERE user_id = ? AND session_id = 'held' FOR UPDATE")
                    .bind(0, user).mapTo(Integer.class).one();

            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> sweeper().sweep());

            assertThat(row(user, "free")).containsEntry("status", "ended");
            assertThat(row(user, "held")).containsEntry("status", "active");
            holder.rollback();
        }
        sweeper().sweep();
        assertThat(row(user, "held")).containsEntry("status", "ended");
    }

    private static IdleSessionSweeper sweeper() {
        return new IdleSessionSweeper(SESSIONS, IDLE, Duration.ofMinutes(1), new Meter());
    }

    private static void session(String user, String session, String startedAt, String lastRequestAt) {
        JDBI.useHandle(handle -> handle.execute("INSERT INTO session_history (user_id, session_id, started_at, "
                + "last_request_at) VALUES (?, ?, " + startedAt + ", " + lastRequestAt + ")", user, session));
    }

    private static Map<String, Object> row(String user, String session) {
        return JDBI.withHandle(handle -> handle.createQuery(
                        "SELECT * FROM session_history WHERE user_id = ? AND session_id = ?")
                .bind(0, user).bind(1, session).mapToMap().one());
    }
}
