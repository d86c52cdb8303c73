package org.aigateway.analytics.consumer;

import com.codahale.metrics.health.HealthCheck;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import org.aigateway.analytics.AnalyticsApplication;
import org.aigateway.analytics.AnalyticsConfiguration;
import org.aigateway.analytics.TestEvents;
import org.aigateway.contracts.EventJson;
import org.aigateway.contracts.Topology;
import org.aigateway.contracts.UsageEvent;
import org.aigateway.support.testing.TcpProxy;
import org.aigateway.support.testing.TestDatabase;
import org.aigateway.support.testing.TestVhost;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The consumer's health tells the truth about its subscriptions, and a consumer the broker dropped (its queue
 * deleted, or its topology refused after a reconnect) subscribes again by itself once the broker lets it.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class ConsumerResubscribesTest {
    private static final TestDatabase DB = TestDatabase.migrated("analytics", AnalyticsApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("analytics");
    private static final TcpProxy LINK = TcpProxy.toBroker();
    private static final Jdbi JDBI = Jdbi.create(DB::connect);
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final String QUEUE = Topology.EVENTS_QUEUE;

    private static final DropwizardAppExtension<AnalyticsConfiguration> APP = new DropwizardAppExtension<>(
            AnalyticsApplication.class, ResourceHelpers.resourceFilePath("test-analytics.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", () -> VHOST.uriThrough(LINK.port())),
            ConfigOverride.config("rabbitmq.reconnectInterval", "200ms"),
            ConfigOverride.config("logging.level", "WARN"));

    private static Connection admin;

    @BeforeAll
    static void connect() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(VHOST.uri());
        admin = factory.newConnection("test-admin");
        await().atMost(PATIENCE).until(() -> healthy("consumer:" + QUEUE) && healthy("rabbitmq"));
    }

    @AfterAll
    static void close() throws Exception {
        admin.abort();
        LINK.close();
    }

    @Test
    void consumerCancelledByTheBrokerSubscribesAgain() throws Exception {
        try (Channel channel = admin.createChannel()) {
            channel.queueDelete(QUEUE);
        }
        // The service declares the queue again and consumes from it: one consumer per worker, nobody else's doing.
        await().atMost(PATIENCE).until(() -> consumersOn(QUEUE) == workers() && healthy("consumer:" + QUEUE));

        String user = "cancelled-" + System.nanoTime();
        publish(user);
        await().atMost(PATIENCE).until(() -> requestsOf(user) == 1);
    }

    @Test
    void topologyRefusedAfterReconnectKeepsTheConsumerUnhealthyUntilItCanSubscribe() throws Exception {
        LINK.cut();
        await().atMost(PATIENCE).until(() -> !healthy("rabbitmq"));
        // While the service is away the queue is replaced by one with other arguments: its declare will be refused.
        try (Channel channel = admin.createChannel()) {
            channel.queueDelete(QUEUE);
            channel.queueDeclare(QUEUE, true, false, false, Map.of());
            channel.queueBind(QUEUE, Topology.EXCHANGE, Topology.routingKey(QUEUE));
        }
        LINK.restore();

        // Connected again, but the setup keeps failing: neither the broker check nor the consumer check is green.
        await().atMost(PATIENCE).until(() -> APP.getEnvironment().healthChecks().runHealthCheck("rabbitmq")
                .getMessage().contains("PRECONDITION_FAILED"));
        Thread.sleep(2000);
        assertThat(healthy("consumer:" + QUEUE)).isFalse();
        assertThat(healthy("rabbitmq")).isFalse();
        assertThat(consumersOn(QUEUE)).isZero();

        // The operator removes the stray queue: the next retry declares it properly and subscribes.
        try (Channel channel = admin.createChannel()) {
            channel.queueDelete(QUEUE);
        }
        await().atMost(PATIENCE).until(() -> healthy("consumer:" + QUEUE) && healthy("rabbitmq"));
        assertThat(consumersOn(QUEUE)).isEqualTo(workers());
        String user = "refused-" + System.nanoTime();
        publish(user);
        await().atMost(PATIENCE).until(() -> requestsOf(user) == 1);
    }

    private static boolean healthy(String check) {
        HealthCheck.Result result = APP.getEnvironment().healthChecks().runHealthCheck(check);
        return result.isHealthy();
    }

    private static long workers() {
        return APP.getConfiguration().getConsumer().getWorkers();
    }

    private static long consumersOn(String queue) throws Exception {
        try (Channel channel = admin.createChannel()) {
            return channel.queueDeclarePassive(queue).getConsumerCount();
        }
    }

    private static void publish(String user) throws Exception {
        UsageEvent event = TestEvents.aiRequest(user, Instant.now(), "mock", "mock-1", "success", 3, 4,
                new BigDecimal("0.000001"), 10);
        try (Channel channel = admin.createChannel()) {
            channel.confirmSelect();
            channel.basicPublish(Topology.EXCHANGE, Topology.routingKey(QUEUE), true,
                    new AMQP.BasicProperties.Builder().contentType("application/json").deliveryMode(2).build(),
                    EventJson.newMapper().writeValueAsBytes(event));
            channel.waitForConfirmsOrDie(5000);
        }
    }

    private static long requestsOf(String user) {
        return JDBI.withHandle(h -> h.createQuery(
                        "SELECT coalesce(sum(total_requests), 0) FROM user_analytics WHERE user_id = :user")
                .bind("user", user).mapTo(Long.class).one());
    }
}
