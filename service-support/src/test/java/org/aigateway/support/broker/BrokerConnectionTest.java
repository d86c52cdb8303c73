package org.aigateway.support.broker;

import com.rabbitmq.client.Connection;
import org.aigateway.support.testing.TcpProxy;
import org.aigateway.support.testing.TestVhost;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Setup that fails on a fresh or recovered connection is tried again with backoff until it succeeds. */
class BrokerConnectionTest {
    private static final TestVhost VHOST = TestVhost.create("support");
    private static final TcpProxy LINK = TcpProxy.toBroker();
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @AfterAll
    static void tearDown() {
        LINK.close();
        VHOST.close();
    }

    @BeforeAll
    static void brokerAnswers() {
        await().atMost(PATIENCE).until(() -> {
            try (Connection probe = factory().newConnection("probe")) {
                return probe.isOpen();
            }
        });
    }

    @Test
    void setupFailingAfterRecoveryIsRetriedUntilItSucceeds() throws Exception {
        AtomicBoolean failing = new AtomicBoolean();
        List<Long> attempts = new CopyOnWriteArrayList<>();
        BrokerConnection connection = new BrokerConnection(factory(), "test:recovery", Duration.ofMillis(100));
        connection.onConnected(opened -> {
            attempts.add(System.nanoTime());
            if (failing.get()) {
                throw new IllegalStateException("topology refused");
            }
            // Real work on the connection, so a setup on a dead connection fails like a declare would.
            opened.createChannel().close();
        });
        BrokerHealthCheck health = new BrokerHealthCheck(connection);
        connection.start();
        try {
            await().atMost(PATIENCE).until(connection::isReady);
            assertThat(health.execute().isHealthy()).isTrue();

            failing.set(true);
            LINK.cut();
            await().atMost(PATIENCE).until(() -> !connection.isOpen());
            int beforeRecovery = attempts.size();
            LINK.restore();

            await().atMost(PATIENCE).until(() -> attempts.size() >= beforeRecovery + 4);
            assertThat(connection.isOpen()).isTrue();
            assertThat(connection.isReady()).isFalse();
            assertThat(health.execute().isHealthy()).isFalse();
            assertThat(health.execute().getMessage()).contains("topology refused");
            // Backoff: each wait is at least as long as the one before it.
            List<Long> retries = attempts.subList(beforeRecovery, attempts.size());
            long firstGap = retries.get(1) - retries.get(0);
            long thirdGap = retries.get(3) - retries.get(2);
            assertThat(thirdGap).isGreaterThan(firstGap);

            failing.set(false);
            await().atMost(PATIENCE).until(connection::isReady);
            assertThat(health.execute().isHealthy()).isTrue();
            assertThat(connection.setupFailure()).isNull();
        } finally {
            connection.stop();
        }
    }

    @Test
    void setUpAgainRunsEverySetupOnTheLiveConnection() throws Exception {
        List<Connection> seen = new CopyOnWriteArrayList<>();
        BrokerConnection connection = new BrokerConnection(factory(), "test:again", Duration.ofMillis(100));
        connection.onConnected(seen::add);
        connection.start();
        try {
            await().atMost(PATIENCE).until(connection::isReady);
            assertThat(seen).hasSize(1);
            connection.setUpAgain();
            await().atMost(PATIENCE).until(() -> seen.size() == 2 && connection.isReady());
            assertThat(seen.get(1)).isSameAs(seen.get(0));
        } finally {
            connection.stop();
        }
    }

    @Test
    void backoffDoublesUpToItsCeiling() {
        BrokerConnection connection =
                new BrokerConnection(new BatchingConnectionFactory(), "test:backoff", Duration.ofMillis(500));
        assertThat(connection.backoffMillis(0)).isEqualTo(500);
        assertThat(connection.backoffMillis(1)).isEqualTo(1000);
        assertThat(connection.backoffMillis(3)).isEqualTo(4000);
        assertThat(connection.backoffMillis(10)).isEqualTo(BrokerConnection.MAX_SETUP_BACKOFF.toMillis());
        assertThat(connection.backoffMillis(500)).isEqualTo(BrokerConnection.MAX_SETUP_BACKOFF.toMillis());
    }

    private static BatchingConnectionFactory factory() throws Exception {
        BatchingConnectionFactory factory = new BatchingConnectionFactory();
        factory.setUri(VHOST.uriThrough(LINK.port()));
        factory.setAutomaticRecoveryEnabled(true);
        factory.setTopologyRecoveryEnabled(false);
        factory.setNetworkRecoveryInterval(200);
        factory.setConnectionTimeout(2000);
        return factory;
    }
}
