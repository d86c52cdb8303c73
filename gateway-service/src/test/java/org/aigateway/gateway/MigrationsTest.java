package org.aigateway.gateway;

import org.aigateway.support.testing.TestDatabase;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.assertj.core.util.Throwables;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.generic.GenericType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** The schema as `db migrate` creates it on an empty database, through the gateway's own command line. */
class MigrationsTest {
    private static final TestDatabase DB = TestDatabase.create("gateway");
    private static final Jdbi JDBI = Jdbi.create(DB::connect);
    private static final String UNIQUE_VIOLATION = "23505";
    private static final String CHECK_VIOLATION = "23514";
    private static final String RESTRICT_VIOLATION = "23001";

    @TempDir
    static Path configDir;
    private static Path config;

    @BeforeAll
    static void migrate() throws Exception {
        config = GatewayCli.writeConfig(configDir, DB);
        GatewayCli.run("db", "migrate", config.toString());
    }

    @AfterAll
    static void dropDatabase() {
        DB.close();
    }

    @Test
    void migrateCreatesTheThreeTables() {
        List<String> tables = JDBI.withHandle(handle -> handle.createQuery(
                        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
                .mapTo(String.class)
                .list());

        assertThat(tables).contains("api_keys", "request_history", "session_history");
    }

    @Test
    void migrateCreatesTheKeysAndIndexes() {
        Map<String, String> indexes = JDBI.withHandle(handle -> handle.createQuery(
                        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
                .setMapKeyColumn("indexname")
                .setMapValueColumn("indexdef")
                .collectInto(new GenericType<Map<String, String>>() { }));

        assertThat(indexes).containsEntry("api_keys_key_hash_key",
                "CREATE UNIQUE INDEX api_keys_key_hash_key ON public.api_keys USING btree (key_hash)");
        assertThat(indexes).containsEntry("session_history_pkey",
                "CREATE UNIQUE INDEX session_history_pkey ON public.session_history USING btree (user_id, session_id)");
        assertThat(indexes).containsEntry("request_history_pkey",
                "CREATE UNIQUE INDEX request_history_pkey ON public.request_history USING btree (id)");
        assertThat(indexes).containsEntry("request_history_user_created_idx",
                "CREATE INDEX request_history_user_created_idx ON public.request_history"
                        + " USING btree (user_id, created_at DESC, id DESC)");
        assertThat(indexes).containsEntry("request_history_session_idx",
                "CREATE INDEX request_history_session_idx ON public.request_history"
                        + " USING btree (user_id, session_id, created_at) WHERE (session_id IS NOT NULL)");
        assertThat(indexes).containsEntry("request_history_pending_idx",
                "CREATE INDEX request_history_pending_idx ON public.request_history"
                        + " USING btree (created_at) WHERE (status = 'pending'::text)");
        assertThat(indexes).doesNotContainKey("request_history_pending_instance_idx");
        assertThat(indexes).containsEntry("outbox_pkey",
                "CREATE UNIQUE INDEX outbox_pkey ON public.outbox USING btree (txid, id)");
        assertThat(indexes.keySet().stream().filter(name -> name.startsWith("outbox"))).containsExactly("outbox_pkey");
        assertThat(indexes).containsEntry("api_keys_user_idx",
                "CREATE INDEX api_keys_user_idx ON public.api_keys USING btree (user_id)");
        assertThat(indexes).containsEntry("session_history_user_started_idx",
                "CREATE INDEX session_history_user_started_idx ON public.session_history"
                        + " USING btree (user_id, started_at DESC, session_id DESC)");
        assertThat(indexes).containsEntry("session_history_started_idx",
                "CREATE INDEX session_history_started_idx ON public.session_history"
                        + " USING btree (started_at DESC, user_id DESC, session_id DESC)");
        assertThat(indexes).containsEntry("session_history_active_idx",
                "CREATE INDEX session_history_active_idx ON public.session_history"
                        + " USING btree (last_request_at) WHERE (status = 'active'::text)");
    }

    @Test
    void secondMigrateChangesNothing() throws Exception {
        List<Map<String, Object>> before = appliedChangeSets();
        List<String> columnsBefore = columns();

        GatewayCli.run("db", "migrate", config.toString());

        assertThat(before).isNotEmpty();
        assertThat(appliedChangeSets()).isEqualTo(before);
        assertThat(columns()).isEqualTo(columnsBefore);
    }

    @Test
    void moneyIsExactAndNoColumnIsFloatingPoint() {
        List<String> money = DB.moneyColumns();
        List<String> floating = DB.floatingPointColumns();

        assertThat(money).containsExactlyInAnyOrder(
                "request_history.cost numeric(24,12)",
                "session_history.total_cost numeric(24,12)");
        assertThat(floating).isEmpty();
    }

    @Test
    void everyTimestampCarriesItsTimeZone() {
        Map<String, String> timestamps = JDBI.withHandle(handle -> handle.createQuery("""
                        SELECT table_name || '.' || column_name AS name, data_type FROM information_schema.columns
                        WHERE table_schema = 'public' AND table_name NOT LIKE 'databasechangelog%'
                          AND (data_type LIKE 'timestamp%' OR data_type LIKE 'time %' OR data_type = 'date')""")
                .setMapKeyColumn("name")
                .setMapValueColumn("data_type")
                .collectInto(new GenericType<Map<String, String>>() { }));

        assertThat(timestamps).containsKeys(
                "api_keys.created_at", "api_keys.revoked_at",
                "session_history.started_at", "session_history.last_request_at", "session_history.ended_at",
                "request_history.created_at", "request_history.completed_at");
        assertThat(timestamps).allSatisfy((column, type) -> assertThat(type).as(column)
                .isEqualTo("timestamp with time zone"));
    }

    @Test
    void keysAreStoredAsHashesThatMustBeUnique() {
        String hash = "a".repeat(64);
        JDBI.useHandle(handle -> handle.execute("INSERT INTO api_keys (id, user_id, key_hash, key_prefix) "
                + "VALUES ('7f1f5c1e-0000-4000-8000-000000000001', 'user-dup', ?, 'sk-gw-aaaa')", hash));

        assertThat(sqlStateOf(() -> JDBI.useHandle(handle -> handle.execute("INSERT INTO api_keys "
                + "(id, user_id, key_hash, key_prefix) VALUES ('7f1f5c1e-0000-4000-8000-000000000002', 'user-dup', ?, "
                + "'sk-gw-aaaa')", hash)))).isEqualTo(UNIQUE_VIOLATION);
        assertThat(sqlStateOf(() -> JDBI.useHandle(handle -> handle.execute("INSERT INTO api_keys "
                + "(id, user_id, key_hash, key_prefix) VALUES ('7f1f5c1e-0000-4000-8000-000000000003', '', ?, "
                + "'sk-gw-bbbb')", "b".repeat(64))))).isEqualTo(CHECK_VIOLATION);
    }

    @Test
    void historyRejectsUnknownStatusesAndNegativeCounts() {
        assertThat(sqlStateOf(() -> insertHistory("'bogus'", "1", "NULL"))).isEqualTo(CHECK_VIOLATION);
        assertThat(sqlStateOf(() -> insertHistory("'success'", "-1", "NULL"))).isEqualTo(CHECK_VIOLATION);

        insertHistory("'pending'", "0", "NULL");
        Map<String, Object> row = JDBI.withHandle(handle -> handle.createQuery("SELECT stream, "
                        + "created_at IS NOT NULL AS stamped FROM request_history WHERE user_id = 'user-history'")
                .mapToMap()
                .one());
        assertThat(row).containsEntry("stream", false).containsEntry("stamped", true);
    }

    @Test
    void keysAreNeverRemovedSoEveryHistoryRowFindsItsKey() {
        String keyId = "'7f1f5c1e-0000-4000-8000-000000000010'";
        JDBI.useHandle(handle -> handle.execute("INSERT INTO api_keys (id, user_id, key_hash, key_prefix) "
                + "VALUES (" + keyId + ", 'user-kept', ?, 'sk-gw-kept')", "c".repeat(64)));
        JDBI.useHandle(handle -> handle.execute("INSERT INTO request_history (id, user_id, api_key_id, provider, "
                + "model, request_type, status) VALUES (gen_random_uuid(), 'user-kept', " + keyId + ", 'mock', "
                + "'mock-1', 'chat.completion', 'success')"));

        // Kept by the trigger, not by a foreign key that every written history row would check.
        List<String> historyForeignKeys = JDBI.withHandle(handle -> handle.createQuery("SELECT conname "
                        + "FROM pg_constraint WHERE conrelid = 'request_history'::regclass AND contype = 'f'")
                .mapTo(String.class)
                .list());
        assertThat(historyForeignKeys).isEmpty();
        assertThat(sqlStateOf(() -> JDBI.useHandle(handle -> handle.execute(
                "DELETE FROM api_keys WHERE id = " + keyId)))).isEqualTo(RESTRICT_VIOLATION);
        assertThat(sqlStateOf(() -> JDBI.useHandle(handle -> handle.execute("TRUNCATE api_keys CASCADE"))))
                .isEqualTo(RESTRICT_VIOLATION);
        long historyRowsWithTheirKey = JDBI.withHandle(handle -> handle.createQuery("SELECT count(*) "
                        + "FROM request_history h JOIN api_keys k ON k.id = h.api_key_id WHERE k.id = " + keyId)
                .mapTo(Long.class)
                .one());
        assertThat(historyRowsWithTheirKey).isEqualTo(1);
        // Revoking stays possible: it only marks the key.
        JDBI.useHandle(handle -> handle.execute("UPDATE api_keys SET revoked_at = now() WHERE id = " + keyId));
    }

    @Test
    void anEndedSessionHasAnEndAndAnActiveOneHasNone() {
        assertThat(sqlStateOf(() -> insertSession("'ended'", "NULL", "NULL"))).isEqualTo(CHECK_VIOLATION);
        assertThat(sqlStateOf(() -> insertSession("'active'", "now()", "5"))).isEqualTo(CHECK_VIOLATION);
        assertThat(sqlStateOf(() -> insertSession("'ended'", "now()", "-1"))).isEqualTo(CHECK_VIOLATION);

        insertSession("'ended'", "now()", "5");
        insertSession("'active'", "NULL", "NULL");
    }

    private static void insertSession(String status, String endedAt, String durationMs) {
        JDBI.useHandle(handle -> handle.execute("INSERT INTO session_history (user_id, session_id, status, ended_at, "
                + "duration_ms) VALUES ('user-session', gen_random_uuid()::text, " + status + ", " + endedAt + ", "
                + durationMs + ")"));
    }

    private static void insertHistory(String status, String promptTokens, String apiKeyId) {
        JDBI.useHandle(handle -> handle.execute("INSERT INTO request_history (id, user_id, api_key_id, provider, "
                + "model, request_type, status, prompt_tokens) VALUES (gen_random_uuid(), 'user-history', " + apiKeyId
                + ", 'mock', 'mock-1', 'chat.completion', " + status + ", " + promptTokens + ")"));
    }

    private static String sqlStateOf(ThrowingCallable statement) {
        Throwable failure = catchThrowable(statement);
        assertThat(failure).hasRootCauseInstanceOf(SQLException.class);
        return ((SQLException) Throwables.getRootCause(failure)).getSQLState();
    }

    private static List<Map<String, Object>> appliedChangeSets() {
        return JDBI.withHandle(handle -> handle.createQuery("SELECT id, author, filename, md5sum, orderexecuted, "
                        + "dateexecuted FROM databasechangelog ORDER BY orderexecuted")
                .mapToMap()
                .list());
    }

    private static List<String> columns() {
        return JDBI.withHandle(handle -> handle.createQuery("""
                        SELECT table_name || '.' || column_name || ' ' || data_type FROM information_schema.columns
                        WHERE table_schema = 'public' ORDER BY table_name, ordinal_position""")
                .mapTo(String.class)
                .list());
    }
}
