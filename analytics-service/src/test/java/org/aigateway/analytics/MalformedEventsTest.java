package org.aigateway.analytics;

import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
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
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Malformed messages of every kind, published to the real broker: each goes to its queue's dead-letter queue
 * unchanged, with the reason in {@code x-dead-letter-reason}, nothing of it is stored, and the consumer goes on:
 * a valid event published right after it is counted. (EventSpineTest covers retries, replay and outages.)
 */
@ExtendWith(DropwizardExtensionsSupport.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MalformedEventsTest {
    private static final TestDatabase DB = TestDatabase.migrated("analytics", AnalyticsApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("analytics");
    private static final ObjectMapper MAPPER = EventJson.newMapper();
    private static final Jdbi JDBI = Jdbi.create(DB::connect);
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final int MAX_EVENT_BYTES = 256 * 1024;

    private static final DropwizardAppExtension<AnalyticsConfiguration> APP = new DropwizardAppExtension<>(
            AnalyticsApplication.class, ResourceHelpers.resourceFilePath("test-analytics.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", VHOST::uri),
            ConfigOverride.config("consumer.maxEventSize", "256KiB"),
            ConfigOverride.config("logging.level", "ERROR"));

    private static Connection broker;
    private static Channel publisher;
    private static long validPublished;

    /** A message that must be dead-lettered from {@code queue} with a reason containing {@code reason}. */
    record Malformed(String name, String queue, byte[] body, String reason) {
        @Override
        public String toString() {
            return name;
        }
    }

    @BeforeAll
    static void openPublisher() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(VHOST.uri());
        factory.setAutomaticRecoveryEnabled(false);
        broker = factory.newConnection("malformed-events-test");
        publisher = broker.createChannel();
        publisher.confirmSelect();
        await().atMost(PATIENCE).until(MalformedEventsTest::healthy);
    }

    @AfterAll
    static void closePublisher() throws Exception {
        broker.abort();
    }

    static Stream<Malformed> malformedMessages() {
        String events = Topology.EVENTS_QUEUE;
        List<Malformed> all = new ArrayList<>();
        all.add(raw("truncated JSON", events, "{\"eventId\": \"" + UUID.randomUUID() + "\", \"schemaVer", "not JSON"));
        all.add(new Malformed("bytes that are not UTF-8", events, new byte[] {'{', '"', (byte) 0xff, (byte) 0xfe, '"', ':', '1', '}'},
                "not JSON"));
        all.add(raw("an empty body", events, "", "not a JSON object"));
        all.add(raw("a JSON array", events, "[1, 2]", "not a JSON object"));
        all.add(raw("a JSON string", events, "\"ai_request\"", "not a JSON object"));
        all.add(changed("schemaVersion 2", events, e -> e.put("schemaVersion", 2), "unsupported schemaVersion 2"));
        all.add(changed("schemaVersion 0", events, e -> e.put("schemaVersion", 0), "unsupported schemaVersion 0"));
        all.add(changed("no schemaVersion", events, e -> e.remove("schemaVersion"), "schemaVersion is missing"));
        for (String field : List.of("eventId", "userId", "eventType", "timestamp")) {
            all.add(changed("no " + field, events, e -> e.remove(field), field + " is missing"));
        }
        all.add(changed("a blank userId", events, e -> e.put("userId", "  "), "userId is missing"));
        all.add(changed("negative promptTokens", events, e -> properties(e).put("promptTokens", -1),
                "promptTokens is negative"));
        all.add(changed("negative tokensUsed", events, e -> properties(e).put("tokensUsed", -5), "tokensUsed is negative"));
        all.add(changed("a negative cost", events, e -> properties(e).put("cost", new BigDecimal("-0.01")),
                "cost is negative"));
        all.add(changed("a cost with 13 decimals", events, e -> properties(e).put("cost", new BigDecimal("0.0000000000001")),
                "more than 12 decimals"));
        all.add(changed("token counts that overflow when added", events,
                e -> properties(e).put("promptTokens", Long.MAX_VALUE).put("completionTokens", 1), "overflow"));
        all.add(changed("negative responseTime on the performance queue", Topology.PERFORMANCE_QUEUE,
                e -> properties(e).put("responseTime", -3), "responseTime is negative"));
        all.add(changed("negative upstreamTime on the critical queue", Topology.CRITICAL_QUEUE,
                e -> properties(e).put("upstreamTime", -3), "upstreamTime is negative"));
        all.add(changed("promptTokens as a string", events, e -> properties(e).put("promptTokens", "12"), "not a usage event"));
        all.add(changed("promptTokens as a fraction", events, e -> properties(e).put("promptTokens", 1.5), "not a usage event"));
        all.add(changed("cost as a string", events, e -> properties(e).put("cost", "0.10"), "not a usage event"));
        all.add(changed("userId as a number", events, e -> e.put("userId", 42), "not a usage event"));
        all.add(changed("eventId not a UUID", events, e -> e.put("eventId", "event-1"), "not a usage event"));
        all.add(changed("properties as a list", events, e -> e.putArray("properties").add(1), "not a usage event"));
        all.add(changed("timestamp as a number", events, e -> e.put("timestamp", 1_741_000_000), "timestamp is not an ISO-8601 string"));
        all.add(changed("a NUL character in userId", events, e -> e.put("userId", "user\u0000"), "\\u0000"));
        all.add(changed("a message just over the size limit", events,
                e -> e.putObject("metadata").put("requestData", "x".repeat(MAX_EVENT_BYTES)), "over the limit of " + MAX_EVENT_BYTES));
        all.add(changed("a 4 MiB message", events,
                e -> e.putObject("metadata").put("requestData", "x".repeat(4 * 1024 * 1024)), "over the limit of " + MAX_EVENT_BYTES));
        return all.stream();
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedMessages")
    void malformedMessageIsDeadLetteredAndTheNextValidOneCounted(Malformed malformed) throws Exception {
        String marker = "malformed-" + UUID.randomUUID();
        UsageEvent next = validEventFor(malformed.queue(), "after-" + marker);
        String dlq = Topology.deadLetterQueue(malformed.queue());
        long deadBefore = meter("dead-lettered");

        publish(malformed.queue(), marker, malformed.body());
        publish(malformed.queue(), next.eventId().toString(), MAPPER.writeValueAsBytes(next));
        validPublished++;

        await().atMost(PATIENCE).until(() -> count("SELECT count(*) FROM analytics_events WHERE event_id = '"
                + next.eventId() + "'") == 1);
        await().atMost(PATIENCE).until(() -> depth(dlq) == 1);
        GetResponse dead = publisher.basicGet(dlq, true);
        Map<String, Object> headers = dead.getProps().getHeaders();
        assertThat(dead.getProps().getMessageId()).isEqualTo(marker);
        assertThat(headers.get(Topology.DEAD_LETTER_REASON_HEADER)).isNotNull();
        assertThat(headers.get(Topology.DEAD_LETTER_REASON_HEADER).toString()).contains(malformed.reason());
        assertThat(headers.get(Topology.ORIGINAL_QUEUE_HEADER)).hasToString(malformed.queue());
        assertThat(dead.getBody()).isEqualTo(malformed.body());
        assertThat(meter("dead-lettered") - deadBefore).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM analytics_events")).as("only the valid events are stored")
                .isEqualTo(validPublished);
        if (UsageEvent.TYPE_AI_REQUEST.equals(next.eventType())) {
            assertThat(count("SELECT total_requests FROM user_analytics WHERE user_id = '" + next.userId() + "'"))
                    .isEqualTo(1);
        }
    }

    @Order(2)
    @Test
    void consumerIsHealthyWithEveryQueueDrainedAfterwards() throws Exception {
        for (String queue : Topology.WORK_QUEUES) {
            assertThat(depth(Topology.deadLetterQueue(queue))).as(queue).isZero();
            await().atMost(PATIENCE).until(() -> depth(queue) == 0);
        }
        await().atMost(PATIENCE).until(MalformedEventsTest::healthy);
        assertThat(count("SELECT count(*) FROM user_analytics WHERE user_id LIKE 'user%' OR user_id = '42'")).isZero();
    }

    private static UsageEvent validEventFor(String queue, String userId) {
        Instant at = Instant.parse("2025-05-01T12:00:00Z");
        if (queue.equals(Topology.PERFORMANCE_QUEUE)) {
            return TestEvents.performance(userId, at, "mock", "mock-1", 120, 30);
        }
        if (queue.equals(Topology.CRITICAL_QUEUE)) {
            return TestEvents.critical(userId, at);
        }
        return TestEvents.aiRequest(userId, at, "mock", "mock-1", "success", 10, 5, new BigDecimal("0.000015"), 120);
    }

    private static Malformed raw(String name, String queue, String body, String reason) {
        return new Malformed(name, queue, body.getBytes(StandardCharsets.UTF_8), reason);
    }

    /** A valid event of the queue's kind, changed in one way. */
    private static Malformed changed(String name, String queue, Consumer<ObjectNode> change, String reason) {
        UsageEvent valid = validEventFor(queue, "user-" + UUID.randomUUID());
        ObjectNode event = MAPPER.valueToTree(valid);
        change.accept(event);
        try {
            return new Malformed(name, queue, MAPPER.writeValueAsBytes(event), reason);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode properties(ObjectNode event) {
        return (ObjectNode) event.get("properties");
    }

    private static void publish(String queue, String messageId, byte[] body) throws Exception {
        publisher.basicPublish(Topology.EXCHANGE, Topology.routingKey(queue), new AMQP.BasicProperties.Builder()
                .contentType("application/json").deliveryMode(2).messageId(messageId).build(), body);
        publisher.waitForConfirmsOrDie(10_000);
    }

    private static long depth(String queue) throws Exception {
        return publisher.queueDeclarePassive(queue).getMessageCount();
    }

    private static long count(String sql) {
        return JDBI.withHandle(h -> h.createQuery(sql).mapTo(Long.class).findOne().orElse(0L));
    }

    private static long meter(String name) {
        return APP.getEnvironment().metrics().meter(MetricRegistry.name(EventConsumer.class, name)).getCount();
    }

    private static boolean healthy() {
        try (Response response = APP.client().target("http://localhost:" + APP.getAdminPort() + "/healthcheck")
                .request().get()) {
            return response.getStatus() == 200;
        }
    }
}
