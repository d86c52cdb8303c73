package org.aigateway.analytics;

import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.DropwizardTestSupport;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import jakarta.ws.rs.client.Entity;
import jakarta.ws.rs.core.Response;
import org.aigateway.analytics.consumer.EventConsumer;
import org.aigateway.contracts.EventJson;
import org.aigateway.contracts.Topology;
import org.aigateway.contracts.UsageEvent;
import org.aigateway.support.testing.TestDatabase;
import org.aigateway.support.testing.TestVhost;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The event spine end to end: events published to the real broker are consumed by two service instances at once
 * into one real database, with redelivery, poison messages, database rejections and a database outage.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class EventSpineTest {
    private static final TestDatabase DB = TestDatabase.migrated("analytics", AnalyticsApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("analytics");
    private static final ObjectMapper MAPPER = EventJson.newMapper();
    private static final Jdbi JDBI = Jdbi.create(DB::connect);
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private static final DropwizardAppExtension<AnalyticsConfiguration> APP = new DropwizardAppExtension<>(
            AnalyticsApplication.class, ResourceHelpers.resourceFilePath("test-analytics.yml"), overrides());
    private static final DropwizardTestSupport<AnalyticsConfiguration> SECOND = new DropwizardTestSupport<>(
            AnalyticsApplication.class, ResourceHelpers.resourceFilePath("test-analytics.yml"), overrides());

    private static Connection broker;
    private static Channel publisher;

    private static ConfigOverride[] overrides() {
        return new ConfigOverride[] {
                ConfigOverride.config("database.url", DB::url),
                ConfigOverride.config("rabbitmq.uri", VHOST::uri),
                ConfigOverride.config("logging.level", "WARN")};
    }

    @BeforeAll
    static void startSecondInstanceAndPublisher() throws Exception {
        SECOND.before();
        openPublisher();
        await().atMost(PATIENCE).until(() -> healthy(APP.getAdminPort()) && healthy(SECOND.getAdminPort()));
    }

    @AfterAll
    static void stop() throws Exception {
        broker.abort();
        SECOND.after();
    }

    @Test
    void twoInstancesCountEveryEventExactlyOnce() throws Exception {
        Random random = new Random(42);
        Instant dayOne = Instant.parse("2025-03-01T22:00:00Z");
        List<UsageEvent> events = new ArrayList<>();
        for (int i = 0; i < 450; i++) {
            // Every 12th event lands after midnight UTC, on the user's second day.
            Instant at = dayOne.plusSeconds(i % 12 == 0 ? 7200 + i : i);
            events.add(TestEvents.aiRequest("spine-user-" + (i % 10), at, i % 3 == 0 ? "openai" : "mock",
                    "model-" + (i % 3), i % 9 == 0 ? "error" : "success", random.nextInt(2000),
                    random.nextInt(1000), BigDecimal.valueOf(random.nextInt(1_000_000_000), 12), 50 + i));
        }
        for (int i = 0; i < 30; i++) {
            events.add(TestEvents.performance("spine-user-" + (i % 10), dayOne.plusSeconds(i), "mock",
                    "model-" + (i % 3), 100 + i, 10 + i));
        }
        for (int i = 0; i < 20; i++) {
            events.add(TestEvents.critical("spine-user-" + (i % 10), dayOne.plusSeconds(i)));
        }
        Collections.shuffle(events, random);
        long consumedBefore = meter(APP.getEnvironment().metrics(), "consumed")
                + meter(SECOND.getEnvironment().metrics(), "consumed");

        publish(events);

        await().atMost(PATIENCE).until(() -> count(
                "SELECT count(*) FROM analytics_events WHERE user_id LIKE 'spine-user-%'") == 500);
        assertThat(meter(APP.getEnvironment().metrics(), "consumed")).isPositive();
        assertThat(meter(SECOND.getEnvironment().metrics(), "consumed")).isPositive();
        assertThat(meter(APP.getEnvironment().metrics(), "consumed")
                + meter(SECOND.getEnvironment().metrics(), "consumed") - consumedBefore).isEqualTo(500);

        List<UsageEvent> usage = events.stream().filter(e -> e.eventType().equals(UsageEvent.TYPE_AI_REQUEST)).toList();
        for (int u = 0; u < 10; u++) {
            String user = "spine-user-" + u;
            List<UsageEvent> mine = usage.stream().filter(e -> e.userId().equals(user)).toList();
            Map<String, Object> row = JDBI.withHandle(h -> h.createQuery("""
                            SELECT total_requests, successful_requests, failed_requests, total_tokens, prompt_tokens,
                                   completion_tokens, total_cost, total_response_time_ms, first_activity_at,
                                   last_activity_at
                            FROM user_analytics WHERE user_id = :user""")
                    .bind("user", user).mapToMap().one());
            assertThat(row.get("total_requests")).isEqualTo((long) mine.size());
            assertThat(row.get("successful_requests"))
                    .isEqualTo(mine.stream().filter(e -> "success".equals(e.properties().status())).count());
            assertThat(row.get("failed_requests"))
                    .isEqualTo(mine.stream().filter(e -> !"success".equals(e.properties().status())).count());
            assertThat(row.get("total_tokens")).isEqualTo(sum(mine, e -> e.properties().tokensUsed()));
            assertThat(row.get("prompt_tokens")).isEqualTo(sum(mine, e -> e.properties().promptTokens()));
            assertThat(row.get("completion_tokens")).isEqualTo(sum(mine, e -> e.properties().completionTokens()));
            assertThat((BigDecimal) row.get("total_cost")).isEqualByComparingTo(cost(mine.stream()));
            assertThat(row.get("total_response_time_ms")).isEqualTo(sum(mine, e -> e.properties().responseTime()));
            assertThat(((java.sql.Timestamp) row.get("first_activity_at")).toInstant())
                    .isEqualTo(mine.stream().map(UsageEvent::timestamp).min(Instant::compareTo).orElseThrow());
            assertThat(((java.sql.Timestamp) row.get("last_activity_at")).toInstant())
                    .isEqualTo(mine.stream().map(UsageEvent::timestamp).max(Instant::compareTo).orElseThrow());

            List<LocalDate> days = mine.stream().map(e -> LocalDate.ofInstant(e.timestamp(), ZoneOffset.UTC))
                    .distinct().toList();
            assertThat(count("SELECT count(*) FROM user_usage_history WHERE user_id = '" + user + "'"))
                    .isEqualTo(days.size());
            for (LocalDate day : days) {
                List<UsageEvent> thatDay = mine.stream()
                        .filter(e -> LocalDate.ofInstant(e.timestamp(), ZoneOffset.UTC).equals(day)).toList();
                Map<String, Object> daily = JDBI.withHandle(h -> h.createQuery("""
                                SELECT total_requests, total_tokens, total_cost, models::text AS models,
                                       providers::text AS providers
                                FROM user_usage_history WHERE user_id = :user AND usage_date = :day""")
                        .bind("user", user).bind("day", day).mapToMap().one());
                assertThat(daily.get("total_requests")).isEqualTo((long) thatDay.size());
                assertThat(daily.get("total_tokens")).isEqualTo(sum(thatDay, e -> e.properties().tokensUsed()));
                assertThat((BigDecimal) daily.get("total_cost")).isEqualByComparingTo(cost(thatDay.stream()));
                assertBreakdown((String) daily.get("models"), thatDay, e -> e.properties().model());
                assertBreakdown((String) daily.get("providers"), thatDay, e -> e.properties().provider());
            }
        }
        assertThat(count("SELECT count(*) FROM performance_metrics")).isGreaterThanOrEqualTo(30);
        assertThat(count("SELECT count(*) FROM user_analytics WHERE user_id LIKE 'spine-user-%'")).isEqualTo(10);
    }

    @Test
    void deliveredTwiceCountsOnce() throws Exception {
        UsageEvent event = TestEvents.aiRequest("twice-user", Instant.parse("2025-03-05T10:00:00Z"), "mock",
                "mock-1", "success", 10, 5, new BigDecimal("0.000123456789"), 80);
        long duplicatesBefore = meterOnBoth("duplicates-skipped");

        publish(List.of(event));
        await().atMost(PATIENCE).until(() -> count(
                "SELECT count(*) FROM analytics_events WHERE user_id = 'twice-user'") == 1);
        publish(List.of(event));
        await().atMost(PATIENCE).until(() -> meterOnBoth("duplicates-skipped") == duplicatesBefore + 1);

        assertThat(count("SELECT total_requests FROM user_analytics WHERE user_id = 'twice-user'")).isEqualTo(1);
        assertThat(decimal("SELECT total_cost FROM user_analytics WHERE user_id = 'twice-user'"))
                .isEqualByComparingTo("0.000123456789");
        assertThat(text("SELECT models->'mock-1'->>'requests' FROM user_usage_history WHERE user_id = 'twice-user'"))
                .isEqualTo("1");
    }

    @Test
    void poisonMessageIsDeadLetteredWithReasonAndReplayBringsTheCorrectedOneBack() throws Exception {
        UsageEvent good = TestEvents.aiRequest("poison-user", Instant.parse("2025-03-06T10:00:00Z"), "mock",
                "mock-1", "success", 10, 5, new BigDecimal("0.5"), 80);
        JsonNode poison = MAPPER.valueToTree(good);
        ((com.fasterxml.jackson.databind.node.ObjectNode) poison.get("properties")).put("promptTokens", -10);
        String dlq = Topology.deadLetterQueue(Topology.EVENTS_QUEUE);

        publishRaw(Topology.EVENTS_QUEUE, MAPPER.writeValueAsBytes(poison));
        publishRaw(Topology.EVENTS_QUEUE, "{not json".getBytes());

        await().atMost(PATIENCE).until(() -> depth(dlq) == 2);
        assertThat(healthy(APP.getAdminPort())).isFalse();
        GetResponse deadPoison = publisher.basicGet(dlq, false);
        GetResponse deadJson = publisher.basicGet(dlq, false);
        List<String> reasons = Stream.of(deadPoison, deadJson)
                .map(r -> r.getProps().getHeaders().get(Topology.DEAD_LETTER_REASON_HEADER).toString())
                .toList();
        assertThat(reasons).anySatisfy(r -> assertThat(r).contains("promptTokens is negative"))
                .anySatisfy(r -> assertThat(r).contains("not JSON"));
        assertThat(deadPoison.getProps().getHeaders().get(Topology.ORIGINAL_QUEUE_HEADER))
                .hasToString(Topology.EVENTS_QUEUE);
        assertThat(count("SELECT count(*) FROM analytics_events WHERE user_id = 'poison-user'")).isZero();

        // An operator takes both out and puts back a corrected copy of the event, then replays it.
        publisher.basicAck(deadJson.getEnvelope().getDeliveryTag(), true);
        publisher.basicPublish("", dlq, deadPoison.getProps(), MAPPER.writeValueAsBytes(good));
        publisher.waitForConfirmsOrDie(5000);
        Response replay = APP.client().target("http://localhost:" + APP.getAdminPort() + "/tasks/replay-dlq")
                .queryParam("queue", Topology.EVENTS_QUEUE).request().post(Entity.text(""));

        assertThat(replay.getStatus()).isEqualTo(200);
        assertThat(replay.readEntity(String.class)).contains("replayed 1");
        await().atMost(PATIENCE).until(() -> count(
                "SELECT count(*) FROM user_analytics WHERE user_id = 'poison-user' AND total_requests = 1") == 1);
        assertThat(depth(dlq)).isZero();
    }

    @Test
    void databaseRejectionIsRetriedThroughTheRetryQueueThenDeadLettered() throws Exception {
        JDBI.useHandle(h -> h.execute("""
                CREATE FUNCTION reject_user() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'rejected user %', NEW.user_id; END $$"""));
        JDBI.useHandle(h -> h.execute("""
                CREATE TRIGGER reject_user BEFORE INSERT ON analytics_events FOR EACH ROW
                WHEN (NEW.user_id = 'rejected-user') EXECUTE FUNCTION reject_user()"""));
        long retriedBefore = meterOnBoth("retried");
        long deadBefore = meterOnBoth("dead-lettered");
        String dlq = Topology.deadLetterQueue(Topology.EVENTS_QUEUE);
        try {
            List<UsageEvent> batch = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                batch.add(TestEvents.aiRequest("neighbour-user", Instant.parse("2025-03-07T10:00:00Z").plusSeconds(i),
                        "mock", "mock-1", "success", 1, 1, new BigDecimal("0.01"), 10));
            }
            batch.add(2, TestEvents.aiRequest("rejected-user", Instant.parse("2025-03-07T10:00:00Z"), "mock",
                    "mock-1", "success", 1, 1, new BigDecimal("0.01"), 10));

            publish(batch);

            await().atMost(PATIENCE).until(() -> depth(dlq) == 1);
            GetResponse dead = publisher.basicGet(dlq, true);
            Map<String, Object> headers = dead.getProps().getHeaders();
            assertThat(((Number) headers.get(Topology.ATTEMPTS_HEADER)).intValue()).isEqualTo(3);
            assertThat(headers.get(Topology.DEAD_LETTER_REASON_HEADER).toString()).contains("rejected user rejected-user");
            assertThat(MAPPER.readTree(dead.getBody()).path("userId").asText()).isEqualTo("rejected-user");
            assertThat(meterOnBoth("retried") - retriedBefore).isEqualTo(2);
            assertThat(meterOnBoth("dead-lettered") - deadBefore).isEqualTo(1);
            assertThat(count("SELECT total_requests FROM user_analytics WHERE user_id = 'neighbour-user'"))
                    .isEqualTo(5);
        } finally {
            JDBI.useHandle(h -> h.execute("DROP TRIGGER reject_user ON analytics_events"));
        }
    }

    @Test
    void databaseOutageHoldsMessagesAndDeadLettersNothing() throws Exception {
        long retriedBefore = meterOnBoth("retried");
        long deadBefore = meterOnBoth("dead-lettered");
        long pausesBefore = meterOnBoth("database-pauses");
        List<UsageEvent> events = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            events.add(TestEvents.aiRequest("outage-user", Instant.parse("2025-03-08T10:00:00Z").plusSeconds(i),
                    "mock", "mock-1", "success", 3, 4, new BigDecimal("0.000000000007"), 10));
        }

        admin("ALTER DATABASE " + DB.name() + " ALLOW_CONNECTIONS false");
        try {
            admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + DB.name() + "'");
            publish(events);
            await().atMost(PATIENCE).until(() -> meterOnBoth("database-pauses") > pausesBefore);
            Thread.sleep(1000);
        } finally {
            admin("ALTER DATABASE " + DB.name() + " ALLOW_CONNECTIONS true");
        }

        await().atMost(PATIENCE).until(() -> count(
                "SELECT count(*) FROM analytics_events WHERE user_id = 'outage-user'") == 100);
        assertThat(count("SELECT total_requests FROM user_analytics WHERE user_id = 'outage-user'")).isEqualTo(100);
        assertThat(decimal("SELECT total_cost FROM user_analytics WHERE user_id = 'outage-user'"))
                .isEqualByComparingTo("0.0000000007");
        for (String queue : Topology.WORK_QUEUES) {
            assertThat(depth(Topology.deadLetterQueue(queue))).isZero();
        }
        assertThat(meterOnBoth("retried")).isEqualTo(retriedBefore);
        assertThat(meterOnBoth("dead-lettered")).isEqualTo(deadBefore);
        await().atMost(PATIENCE).until(() -> healthy(APP.getAdminPort()) && healthy(SECOND.getAdminPort()));
    }

    @Test
    void brokerConnectionsDroppedMidStreamStillCountEachEventOnce() throws Exception {
        List<UsageEvent> events = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            events.add(TestEvents.aiRequest("recovery-user", Instant.parse("2025-03-10T10:00:00Z").plusMillis(i),
                    "mock", "mock-1", "success", 1, 2, new BigDecimal("0.000000000001"), 10));
        }
        // The broker's CLI takes a moment to start, so it is launched first and lands while batches are in flight.
        Process closeAll = new ProcessBuilder(rabbitmqctl(), "-q", "close_all_connections", "-p", VHOST.name(),
                "test: connections dropped mid-stream").redirectErrorStream(true).start();
        try {
            publish(events);
        } catch (Exception e) {
            // The publisher's own connection may be closed first; whatever was confirmed is what counts.
        }
        assertThat(closeAll.waitFor()).isZero();
        openPublisher();
        await().atMost(PATIENCE).until(() -> healthy(APP.getAdminPort()) && healthy(SECOND.getAdminPort()));
        // Whatever the drop cost the publisher is sent again; ids make that, and every redelivery, harmless.
        publish(events);

        await().atMost(PATIENCE).until(() -> count(
                "SELECT count(*) FROM analytics_events WHERE user_id = 'recovery-user'") == 1000);
        await().atMost(PATIENCE).until(EventSpineTest::queuesDrained);
        assertThat(count("SELECT total_requests FROM user_analytics WHERE user_id = 'recovery-user'")).isEqualTo(1000);
        assertThat(count("SELECT total_tokens FROM user_analytics WHERE user_id = 'recovery-user'")).isEqualTo(3000);
        assertThat(decimal("SELECT total_cost FROM user_analytics WHERE user_id = 'recovery-user'"))
                .isEqualByComparingTo("0.000000001");
    }

    @Test
    void rebuildAggregatesReproducesTheSameTotals() throws Exception {
        List<UsageEvent> events = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            events.add(TestEvents.aiRequest("rebuild-user-" + (i % 4), Instant.parse("2025-03-09T23:59:50Z")
                    .plusSeconds(i), i % 2 == 0 ? "mock" : "openai", i % 5 == 0 ? "" : "model-" + (i % 2),
                    i % 7 == 0 ? "error" : "success", i, 2L * i, new BigDecimal("0.00000000001").multiply(
                    BigDecimal.valueOf(i)), 5));
        }
        publish(events);
        await().atMost(PATIENCE).until(() -> count(
                "SELECT count(*) FROM analytics_events WHERE user_id LIKE 'rebuild-user-%'") == 40);
        List<Map<String, Object>> usersBefore = aggregates("user_analytics", "user_id");
        List<Map<String, Object>> daysBefore = aggregates("user_usage_history", "user_id, usage_date");

        Response rebuild = APP.client().target("http://localhost:" + APP.getAdminPort() + "/tasks/rebuild-aggregates")
                .request().post(Entity.text(""));

        assertThat(rebuild.getStatus()).isEqualTo(200);
        assertThat(rebuild.readEntity(String.class)).contains("rebuilt");
        assertThat(aggregates("user_analytics", "user_id")).isEqualTo(usersBefore);
        assertThat(aggregates("user_usage_history", "user_id, usage_date")).isEqualTo(daysBefore);
        assertThat(daysBefore).anySatisfy(row -> assertThat(((Map<?, ?>) row.get("models")).containsKey("unknown")).isTrue());
    }

    private static List<Map<String, Object>> aggregates(String table, String order) {
        return JDBI.withHandle(h -> h.createQuery("SELECT to_jsonb(t) - 'updated_at' - 'id' AS row FROM " + table
                        + " t ORDER BY " + order)
                .mapTo(String.class).list()).stream()
                .map(json -> {
                    try {
                        return MAPPER.<Map<String, Object>>readValue(json,
                                new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { });
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                })
                .toList();
    }

    private static void assertBreakdown(String json, List<UsageEvent> events,
                                        java.util.function.Function<UsageEvent, String> key) throws Exception {
        Map<String, List<UsageEvent>> groups = new TreeMap<>();
        events.forEach(e -> groups.computeIfAbsent(key.apply(e), k -> new ArrayList<>()).add(e));
        JsonNode breakdown = MAPPER.readTree(json);
        assertThat(breakdown.size()).isEqualTo(groups.size());
        for (Map.Entry<String, List<UsageEvent>> group : groups.entrySet()) {
            JsonNode entry = breakdown.path(group.getKey());
            assertThat(entry.path("requests").asLong()).isEqualTo(group.getValue().size());
            assertThat(entry.path("tokens").asLong()).isEqualTo(sum(group.getValue(), e -> e.properties().tokensUsed()));
            assertThat(new BigDecimal(entry.path("cost").asText())).isEqualByComparingTo(cost(group.getValue().stream()));
        }
    }

    private static long sum(List<UsageEvent> events, java.util.function.Function<UsageEvent, Long> value) {
        return events.stream().map(value).mapToLong(Long::longValue).sum();
    }

    private static BigDecimal cost(Stream<UsageEvent> events) {
        return events.map(e -> e.properties().cost()).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    private static void publish(List<UsageEvent> events) throws Exception {
        for (UsageEvent event : events) {
            send(TestEvents.queueFor(event), MAPPER.writeValueAsBytes(event));
        }
        publisher.waitForConfirmsOrDie(10_000);
    }

    private static void publishRaw(String queue, byte[] body) throws Exception {
        send(queue, body);
        publisher.waitForConfirmsOrDie(5000);
    }

    private static void send(String queue, byte[] body) throws Exception {
        publisher.basicPublish(Topology.EXCHANGE, Topology.routingKey(queue),
                new AMQP.BasicProperties.Builder().contentType("application/json").deliveryMode(2).build(), body);
    }

    private static void openPublisher() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(VHOST.uri());
        factory.setAutomaticRecoveryEnabled(false);
        broker = factory.newConnection("analytics-spine-test");
        publisher = broker.createChannel();
        publisher.confirmSelect();
    }

    private static boolean queuesDrained() throws Exception {
        for (String queue : Topology.WORK_QUEUES) {
            if (depth(queue) != 0) {
                return false;
            }
        }
        return true;
    }

    private static String rabbitmqctl() {
        return java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/sbin/rabbitmqctl"))
                ? "/usr/sbin/rabbitmqctl" : "rabbitmqctl";
    }

    private static long depth(String queue) throws Exception {
        return publisher.queueDeclarePassive(queue).getMessageCount();
    }

    private static long count(String sql) {
        return JDBI.withHandle(h -> h.createQuery(sql).mapTo(Long.class).findOne().orElse(0L));
    }

    private static BigDecimal decimal(String sql) {
        return JDBI.withHandle(h -> h.createQuery(sql).mapTo(BigDecimal.class).one());
    }

    private static String text(String sql) {
        return JDBI.withHandle(h -> h.createQuery(sql).mapTo(String.class).one());
    }

    private static long meterOnBoth(String name) {
        return meter(APP.getEnvironment().metrics(), name) + meter(SECOND.getEnvironment().metrics(), name);
    }

    private static long meter(MetricRegistry registry, String name) {
        return registry.meter(MetricRegistry.name(EventConsumer.class, name)).getCount();
    }

    private static boolean healthy(int adminPort) {
        try (Response response = APP.client().target("http://localhost:" + adminPort + "/healthcheck").request().get()) {
            return response.getStatus() == 200;
        }
    }

    private static void admin(String sql) throws Exception {
        String adminUrl = DB.url().substring(0, DB.url().lastIndexOf('/') + 1) + "postgres";
        try (java.sql.Connection connection = DriverManager.getConnection(adminUrl, DB.user(), DB.password());
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
