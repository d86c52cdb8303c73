package org.aigateway.analytics;

import org.aigateway.support.testing.TestDatabase;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.assertj.core.util.Throwables;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.generic.GenericType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** The schema as `db migrate` creates it on an empty database, through the service's own command line. */
class MigrationsTest {
    private static final TestDatabase DB = TestDatabase.create("analytics");
    private static final Jdbi JDBI = Jdbi.create(DB::connect);
    private static final String UNIQUE_VIOLATION = "23505";
    private static final String CHECK_VIOLATION = "23514";

    @TempDir
    static Path configDir;
    private static Path config;

    @BeforeAll
    static void migrate() throws Exception {
        config = configDir.resolve("analytics.yml");
        Files.writeString(config, """
                logging:
                  level: WARN
                  appenders:
                    - type: console
                      target: stderr
                database:
                  driverClass: org.postgresql.Driver
                  url: %s
                  user: %s
                  password: ""
                apiToken: migrations-test
                """.formatted(DB.url(), DB.user()));
        runCli("db", "migrate", config.toString());
    }

    @AfterAll
    static void dropDatabase() {
        DB.close();
    }

    @Test
    void migrateCreatesTheTables() {
        List<String> tables = JDBI.withHandle(handle -> handle.createQuery(
                        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
                .mapTo(String.class)
                .list());

        assertThat(tables).contains("analytics_events", "user_analytics", "user_usage_history", "performance_metrics");
    }

    @Test
    void migrateCreatesTheUniqueKeysAndIndexes() {
        Map<String, String> indexes = JDBI.withHandle(handle -> handle.createQuery(
                        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
                .setMapKeyColumn("indexname")
                .setMapValueColumn("indexdef")
                .collectInto(new GenericType<Map<String, String>>() { }));

        assertThat(indexes).containsEntry("analytics_events_event_id_key",
                "CREATE UNIQUE INDEX analytics_events_event_id_key ON public.analytics_events USING btree (event_id)");
        assertThat(indexes).containsEntry("user_analytics_pkey",
                "CREATE UNIQUE INDEX user_analytics_pkey ON public.user_analytics USING btree (user_id)");
        assertThat(indexes).containsEntry("user_usage_history_user_date_key",
                "CREATE UNIQUE INDEX user_usage_history_user_date_key ON public.user_usage_history"
                        + " USING btree (user_id, usage_date)");
        assertThat(indexes.values()).contains(
                "CREATE INDEX analytics_events_type_id_idx ON public.analytics_events USING btree (event_type, id)",
                "CREATE INDEX user_usage_history_usage_date_idx ON public.user_usage_history"
                        + " USING btree (usage_date)",
                "CREATE INDEX analytics_events_user_id_idx ON public.analytics_events USING btree (user_id, id)",
                "CREATE INDEX performance_metrics_occurred_idx ON public.performance_metrics"
                        + " USING btree (occurred_at)");
        assertThat(indexes.keySet().stream().filter(name -> name.startsWith("analytics_events_")))
                .containsExactlyInAnyOrder("analytics_events_pkey", "analytics_events_event_id_key",
                        "analytics_events_type_id_idx", "analytics_events_user_id_idx");
        assertThat(indexes).containsEntry("performance_metrics_event_id_key",
                "CREATE UNIQUE INDEX performance_metrics_event_id_key ON public.performance_metrics"
                        + " USING btree (event_id)");
    }

    @Test
    void secondMigrateChangesNothing() throws Exception {
        List<Map<String, Object>> before = appliedChangeSets();

        runCli("db", "migrate", config.toString());

        assertThat(appliedChangeSets()).isEqualTo(before).hasSize(7);
    }

    @Test
    void moneyIsExactAndNoColumnIsFloatingPoint() {
        List<String> money = DB.moneyColumns();
        List<String> floating = DB.floatingPointColumns();

        assertThat(money).containsExactlyInAnyOrder(
                "analytics_events.cost numeric(24,12)",
                "user_analytics.total_cost numeric(24,12)",
                "user_usage_history.total_cost numeric(24,12)");
        assertThat(floating).isEmpty();
    }

    @Test
    void sameEventIdIsStoredOnce() {
        String insert = """
                INSERT INTO analytics_events (event_id, event_type, event_name, user_id, occurred_at)
                VALUES ('5d1c7a52-5d8e-4a53-9a8c-0d4b6f3f2a10', 'api_request', 'chat.completion', 'user-dup', now())""";
        JDBI.useHandle(handle -> handle.execute(insert));

        assertThat(sqlStateOf(() -> JDBI.useHandle(handle -> handle.execute(insert)))).isEqualTo(UNIQUE_VIOLATION);
    }

    @Test
    void negativeCountersAreRejected() {
        assertThat(sqlStateOf(() -> JDBI.useHandle(handle -> handle.execute(
                "INSERT INTO user_analytics (user_id, total_tokens) VALUES ('user-negative', -1)"))))
                .isEqualTo(CHECK_VIOLATION);
    }

    @Test
    void countersAndJsonDefaultToEmpty() {
        JDBI.useHandle(handle -> handle.execute(
                "INSERT INTO user_usage_history (user_id, usage_date) VALUES ('user-defaults', DATE '2025-01-31')"));

        Map<String, Object> row = JDBI.withHandle(handle -> handle.createQuery("""
                        SELECT total_requests, total_cost::text AS total_cost, models::text AS models,
                               providers::text AS providers
                        FROM user_usage_history WHERE user_id = 'user-defaults'""")
                .mapToMap()
                .one());

        assertThat(row).containsEntry("total_requests", 0L)
                .containsEntry("total_cost", "0.000000000000")
                .containsEntry("models", "{}")
                .containsEntry("providers", "{}");
    }

    @Test
    void breakdownsMergeKeyByKeyWithExactCosts() {
        String merged = JDBI.withHandle(handle -> handle.createQuery("""
                        SELECT merge_usage_breakdown(
                            '{"m1":{"requests":1,"tokens":10,"cost":"0.1"}}',
                            '{"m1":{"requests":2,"tokens":5,"cost":"0.000000000001"},"m2":{"requests":1,"tokens":1,"cost":"0"}}'
                        )::text""")
                .mapTo(String.class)
                .one());

        assertThat(merged).isEqualTo("{\"m1\": {\"cost\": \"0.100000000001\", \"tokens\": 15, \"requests\": 3}, "
                + "\"m2\": {\"cost\": \"0\", \"tokens\": 1, \"requests\": 1}}");
    }

    private static String sqlStateOf(ThrowingCallable statement) {
        Throwable failure = catchThrowable(statement);
        assertThat(failure).hasRootCauseInstanceOf(SQLException.class);
        return ((SQLException) Throwables.getRootCause(failure)).getSQLState();
    }

    private static List<Map<String, Object>> appliedChangeSets() {
        return JDBI.withHandle(handle -> handle.createQuery(
                        "SELECT id, author, filename, md5sum, orderexecuted, dateexecuted FROM databasechangelog ORDER BY orderexecuted")
                .mapToMap()
                .list());
    }

    private static void runCli(String... arguments) throws Exception {
        // Application.run ends the JVM on failure; a failing command must fail the test instead.
        new AnalyticsApplication() {
            @Override
            protected void onFatalError(Throwable t) {
                throw new AssertionError("analytics-service " + String.join(" ", arguments) + " failed", t);
            }
        }.run(arguments);
    }
}
