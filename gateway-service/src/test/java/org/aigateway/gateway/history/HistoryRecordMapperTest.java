package org.aigateway.gateway.history;

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
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every column of a history row reaches its field, null where the row has none, as JDBI's reflective mapper read it;
 * a query that selects the columns in another order fails instead of filling the wrong fields.
 */
class HistoryRecordMapperTest {
    private static final TestDatabase DB =
            TestDatabase.migrated("gateway_history_mapper", GatewayApplication.CHANGELOG);

    private static Jdbi jdbi;
    private static RequestHistoryDao history;

    @BeforeAll
    static void setUp() {
        jdbi = Jdbi.create(DB.url(), DB.user(), DB.password())
                .installPlugin(new SqlObjectPlugin())
                .installPlugin(new PostgresPlugin());
        history = jdbi.onDemand(RequestHistoryDao.class);
    }

    @AfterAll
    static void tearDown() {
        DB.close();
    }

    @Test
    void aRowWithEveryColumnSet() {
        UUID id = UUID.randomUUID();
        jdbi.useHandle(handle -> handle.createUpdate("""
                        INSERT INTO request_history (id, user_id, session_id, provider, model, upstream_model,
                            request_type, stream, status, request_data, response_data, error_message, upstream_status,
                            http_status, prompt_tokens, completion_tokens, total_tokens, cached_tokens,
                            cache_creation_tokens, cost, response_time_ms, time_to_first_token_ms, created_at,
                            completed_at)
                        VALUES (:id, 'user-1', 'session-1', 'anthropic', 'claude', 'claude-3-5', 'chat.completion',
                            true, 'error', '{"a": 1}', '{"b": 2}', 'upstream said no', 529, 502, 11, 12, 23, 4, 5,
                            0.000123456789, 1234, 56, '2026-01-02T03:04:05.123456Z', '2026-01-02T03:04:06.5Z')""")
                .bind("id", id)
                .execute());

        HistoryRecord record = history.find(id).orElseThrow();

        assertThat(record).isEqualTo(new HistoryRecord(id, "user-1", "session-1", "anthropic", "claude", "claude-3-5",
                "chat.completion", true, "error", "{\"a\": 1}", "{\"b\": 2}", "upstream said no", 529, 502, 11L, 12L,
                23L, 4L, 5L, new BigDecimal("0.000123456789"), 1234L, 56L, Instant.parse("2026-01-02T03:04:05.123456Z"),
                Instant.parse("2026-01-02T03:04:06.5Z")));
        assertThat(record).isEqualTo(readReflectively(id));
    }

    @Test
    void aPendingRowWithEveryOptionalColumnNull() {
        UUID id = UUID.randomUUID();
        jdbi.useHandle(handle -> handle.createUpdate("""
                        INSERT INTO request_history (id, user_id, provider, model, request_type, status, created_at)
                        VALUES (:id, 'user-2', 'mock', 'mock-1', 'chat.completion', 'pending',
                            '2026-03-04T05:06:07Z')""")
                .bind("id", id)
                .execute());

        HistoryRecord record = history.find(id).orElseThrow();

        assertThat(record).isEqualTo(new HistoryRecord(id, "user-2", null, "mock", "mock-1", null, "chat.completion",
                false, "pending", null, null, null, null, null, null, null, null, null, null, null, null, null,
                Instant.parse("2026-03-04T05:06:07Z"), null));
        assertThat(record).isEqualTo(readReflectively(id));
    }

    @Test
    void columnsSelectedInAnotherOrderAreRefused() {
        UUID id = UUID.randomUUID();
        jdbi.useHandle(handle -> handle.createUpdate("INSERT INTO request_history "
                        + "(id, user_id, provider, model, request_type, status) "
                        + "VALUES (:id, 'user-3', 'mock', 'mock-1', 'chat.completion', 'pending')")
                .bind("id", id)
                .execute());
        String swapped = HistoryRecordMapper.COLUMNS.replace("provider, model", "model, provider");

        assertThatThrownBy(() -> jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT " + swapped + " FROM request_history WHERE id = :id")
                .bind("id", id)
                .map(new HistoryRecordMapper())
                .one()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("model, provider");
    }

    /** The row as JDBI's constructor mapper, which the hand-written one replaced, reads it. */
    private static HistoryRecord readReflectively(UUID id) {
        return jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT " + HistoryRecordMapper.COLUMNS + " FROM request_history WHERE id = :id")
                .bind("id", id)
                .map(ConstructorMapper.of(HistoryRecord.class))
                .one());
    }
}
