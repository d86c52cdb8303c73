package org.aigateway.support.broker;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.MessageProperties;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import org.aigateway.support.testing.TestVhost;
import org.aigateway.support.testing.WriteCountingSockets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Publishes sent together leave in a few socket writes, all of them, and nobody else's flush waits for them. */
class BatchingConnectionFactoryTest {
    private static final TestVhost VHOST = TestVhost.create("batching");
    private static final byte[] BODY = "x".repeat(600).getBytes(StandardCharsets.UTF_8);
    private static final int MESSAGES = 50;

    private static final WriteCountingSockets SOCKETS = new WriteCountingSockets();
    private static BatchingConnectionFactory factory;
    private static Connection connection;
    private static Connection observer;
    private String queue;
    private Channel channel;

    @BeforeAll
    static void connect() throws Exception {
        factory = new BatchingConnectionFactory();
        factory.setUri(VHOST.uri());
        factory.setSocketFactory(SOCKETS);
        // No heartbeat frames among the writes counted.
        factory.setRequestedHeartbeat(0);
        connection = factory.newConnection("batching-test");
        observer = factory.newConnection("batching-test-observer");
    }

    @AfterAll
    static void tearDown() throws Exception {
        try {
            if (connection != null) {
                connection.close();
            }
            if (observer != null) {
                observer.close();
            }
        } finally {
            VHOST.close();
        }
    }

    @BeforeEach
    void openChannel() throws IOException {
        channel = connection.createChannel();
        channel.confirmSelect();
        queue = "batching-" + UUID.randomUUID();
        channel.queueDeclare(queue, false, false, true, null);
    }

    @AfterEach
    void closeChannel() throws Exception {
        channel.close();
    }

    @Test
    void publishesSentTogetherLeaveInFewWritesAndAllArrive() throws Exception {
        int before = SOCKETS.writes();
        factory.sendTogether(() -> {
            for (int i = 0; i < MESSAGES; i++) {
                publish(channel);
            }
        });
        int together = SOCKETS.writes() - before;
        channel.waitForConfirmsOrDie(10_000);
        awaitMessages(MESSAGES);

        before = SOCKETS.writes();
        for (int i = 0; i < MESSAGES; i++) {
            publish(channel);
        }
        int alone = SOCKETS.writes() - before;
        channel.waitForConfirmsOrDie(10_000);
        awaitMessages(2 * MESSAGES);

        // 50 messages of about 700 bytes fill the client's 8 KiB buffer about five times.
        assertThat(together).isBetween(1, 8);
        assertThat(alone).isGreaterThanOrEqualTo(MESSAGES);
    }

    @Test
    void whatWasSentBeforeAFailureStillLeaves() throws Exception {
        IOException refused = new IOException("stopped half way");
        assertThatThrownBy(() -> factory.sendTogether(() -> {
            publish(channel);
            throw refused;
        })).isSameAs(refused);
        awaitMessages(1);
    }

    @Test
    void anotherThreadsPublishesAreNotHeldBack() throws Exception {
        Channel other = connection.createChannel();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try {
            Future<?> run = pool.submit(() -> {
                factory.sendTogether(() -> {
                    publish(channel);
                    holding.countDown();
                    waitFor(release);
                });
                return null;
            });
            assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
            int before = SOCKETS.writes();
            other.basicPublish("", queue, MessageProperties.PERSISTENT_BASIC, BODY);
            assertThat(SOCKETS.writes()).isGreaterThan(before);
            awaitMessages(2);

            release.countDown();
            run.get(10, TimeUnit.SECONDS);
        } finally {
            release.countDown();
            pool.shutdownNow();
            other.close();
        }
    }

    @Test
    void sendingTogetherInsideARunAddsToIt() throws Exception {
        int before = SOCKETS.writes();
        factory.sendTogether(() -> {
            publish(channel);
            factory.sendTogether(() -> publish(channel));
            assertThat(SOCKETS.writes()).isEqualTo(before);
            publish(channel);
        });
        assertThat(SOCKETS.writes() - before).isEqualTo(1);
        awaitMessages(3);
    }

    @Test
    void aHeldWriteThatFailsStartsRecoveryAndTheFailureReachesTheCaller() throws Exception {
        WriteCountingSockets breaking = new WriteCountingSockets();
        BatchingConnectionFactory recovering = new BatchingConnectionFactory();
        recovering.setUri(VHOST.uri());
        recovering.setSocketFactory(breaking);
        recovering.setRequestedHeartbeat(0);
        recovering.setNetworkRecoveryInterval(100);
        CountDownLatch recovered = new CountDownLatch(1);
        try (Connection breaks = recovering.newConnection("batching-test-recovery")) {
            ((Recoverable) breaks).addRecoveryListener(new RecoveryListener() {
                @Override
                public void handleRecovery(Recoverable recoverable) {
                    recovered.countDown();
                }

                @Override
                public void handleRecoveryStarted(Recoverable recoverable) {
                }
            });
            Channel doomed = breaks.createChannel();

            breaking.failNextWrite();
            assertThatThrownBy(() -> recovering.sendTogether(() -> publish(doomed)))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("as asked");

            // Only the client's own flush hands a failed write to recovery; the socket itself is still open.
            assertThat(recovered.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(breaks.isOpen()).isTrue();
        }
    }

    private void publish(Channel target) throws IOException {
        target.basicPublish("", queue, MessageProperties.PERSISTENT_BASIC, BODY);
    }

    private void awaitMessages(int count) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try (Channel look = observer.createChannel()) {
                return look.queueDeclarePassive(queue).getMessageCount() == count;
            }
        });
    }

    private static void waitFor(CountDownLatch latch) throws IOException {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IOException("not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
