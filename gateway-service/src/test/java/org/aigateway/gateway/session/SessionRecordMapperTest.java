package org.aigateway.gateway.session;

import org.aigateway.gateway.GatewayApplication;
import org.aigateway.support.testing.TestDatabase;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.reflect.ConstructorMapper;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** Every column of a session row reaches its field, null where the row has none, as JDBI's reflective mapper did. */
class SessionRecordMapperTest {
    private static final TestDatabase DB =
            TestDatabase.migrated("gateway_session_mapper", GatewayApplication.CHANGELOG);

    private static Jdbi jdbi;
    private static SessionDao sessions;

    @BeforeAll
    static void setUp() {
        jdbi = Jdbi.create(DB.url(), DB.user(), DB.password())
                .installPlugin(new SqlObjectPlugin())
                .installPlugin(new PostgresPlugin());
        sessions = jdbi.onDemand(SessionDao.class);
    }

    @AfterAll
    static void tearDown() {
        DB.close();
    }

    @Test
    void anEndedSessionWithEveryColumnSet() {
        jdbi.useHandle(handle -> handle.execute("""
                INSERT INTO session_history (user_id, session_id, status, total_requests, total_tokens, total_cost,
                    started_at, last_request_at, ended_at, duration_ms)
                VALUES ('user-1', 'session-1', 'ended', 7, 1234, 0.000987654321, '2026-01-02T03:04:05.123456Z',
                    '2026-01-02T03:05:00Z', '2026-01-02T03:06:00.5Z', 114377)"""));

        SessionRecord record = sessions.find("user-1", "session-1").orElseThrow();

        assertThat(record).isEqualTo(new SessionRecord("session-1", "user-1", "ended", 7, 1234,
                new BigDecimal("0.000987654321"), Instant.parse("2026-01-02T03:04:05.123456Z"),
                Instant.parse("2026-01-02T03:05:00Z"), Instant.parse("2026-01-02T03:06:00.5Z"), 114377L));
        assertThat(record).isEqualTo(readReflectively("user-1", "session-1"));
    }

    @Test
    void anActiveSessionWithEveryOptionalColumnNull() {
        jdbi.useHandle(handle -> handle.execute("""
                INSERT INTO session_history (user_id, session_id, started_at)
                VALUES ('user-2', 'session-2', '2026-03-04T05:06:07Z')"""));

        SessionRecord record = sessions.find("user-2", "session-2").orElseThrow();

        assertThat(record).isEqualTo(new SessionRecord("session-2", "user-2", "active", 0, 0,
                new BigDecimal("0E-12"), Instant.parse("2026-03-04T05:06:07Z"), null, null, null));
        assertThat(record).isEqualTo(readReflectively("user-2", "session-2"));
        assertThat(sessions.page(new SessionQuery("user-2", null, null, 10)).data())
                .containsExactly(record);
    }

    /** The row as JDBI's constructor mapper, which the hand-written one replaced, reads it. */
    private static SessionRecord readReflectively(String userId, String sessionId) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT " + SessionRecordMapper.COLUMNS
                        + " FROM session_history WHERE user_id = :userId AND session_id = :sessionId")
                .bind("userId", userId)
                .bind("sessionId", sessionId)
                .map(ConstructorMapper.of(SessionRecord.class))
                .one());
    }
}
