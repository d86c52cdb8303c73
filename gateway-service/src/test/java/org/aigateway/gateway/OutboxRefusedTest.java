package org.aigateway.gateway;

import com.codahale.metrics.Meter;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import org.aigateway.contracts.EventJson;
import org.aigateway.contracts.Topology;
import org.aigateway.gateway.auth.ApiKeyDao;
import org.aigateway.gateway.auth.ApiKeys;
import org.aigateway.support.testing.TestDatabase;
import org.aigateway.support.testing.TestVhost;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Events the broker cannot route (a queue unbound by hand) stay in the outbox and are published again after a growing
 * pause, not in a loop as fast as the broker returns them, while routable events go out as usual; once the queue is
 * bound again they arrive, each once.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class OutboxRefusedTest {
    private static final TestDatabase DB = TestDatabase.migrated("gateway_outbox_refused", GatewayApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("gateway_outbox_refused");
    private static final int REQUESTS = 40;

    // A small window and batch, so the relay's reads are full and its window refills from confirms, as with a
    // large backlog.
    private static final DropwizardAppExtension<GatewayConfiguration> APP = new DropwizardAppExtension<>(
            GatewayApplication.class, ResourceHelpers.resourceFilePath("test-gateway.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", VHOST::uri),
            ConfigOverride.config("outbox.pollInterval", "100ms"),
            ConfigOverride.config("outbox.batchSize", "5"),
            ConfigOverride.config("outbox.confirmWindow", "10"));

    private static Jdbi jdbi;
    private static Connection observer;

    @BeforeAll
    static void setUp() throws Exception {
        jdbi = Jdbi.create(DB.url(), DB.user(), DB.password()).installPlugin(new SqlObjectPlugin());
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(VHOST.uri());
        observer = factory.newConnection("outbox-refused-test-observer");
    }

    @AfterAll
    static void tearDown() throws Exception {
        observer.close();
    }

    @Test
    void unroutableEventsWaitWithBackoffAndArriveOnceRoutable() throws Exception {
        String key = new ApiKeys(jdbi.onDemand(ApiKeyDao.class)).create("alice", "test", false).plaintext();
        GatewayClient client = new GatewayClient(APP::getLocalPort, EventJson.newMapper());
        String performanceKey = Topology.routingKey(Topology.PERFORMANCE_QUEUE);
        try (Channel channel = observer.createChannel()) {
            channel.queueUnbind(Topology.PERFORMANCE_QUEUE, Topology.EXCHANGE, performanceKey);
        }
        for (int i = 0; i < REQUESTS; i++) {
            assertThat(client.chat(key, "{\"model\":\"mock-1\",\"messages\":[{\"role\":\"user\",\"content\":\"n" + i
                    + "\"}]}").statusCode()).isEqualTo(200);
        }
        Meter returned = APP.getEnvironment().metrics().meter("outbox.returned");
        await().atMost(Duration.ofSeconds(30)).until(() -> returned.getCount() >= REQUESTS);

        long publishedBefore = published();
        Thread.sleep(3000);
        // With pauses of 100, 200, 400, 800 and 1600 ms the 40 events go out again at most 5 times in 3 s (200
        // publishes); going round without a pause, the same 3 s take thousands.
        assertThat(published() - publishedBefore).isLessThanOrEqualTo(5L * REQUESTS);
        assertThat(unsent(performanceKey)).isEqualTo(REQUESTS);
        assertThat(unsent(Topology.routingKey(Topology.EVENTS_QUEUE))).as("routable events are not held up").isZero();

        try (Channel channel = observer.createChannel()) {
            channel.queueBind(Topology.PERFORMANCE_QUEUE, Topology.EXCHANGE, performanceKey);
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> unsent(performanceKey) == 0);
        Set<String> ids = new HashSet<>();
        try (Channel channel = observer.createChannel()) {
            GetResponse message;
            while ((message = channel.basicGet(Topology.PERFORMANCE_QUEUE, true)) != null) {
                assertThat(ids.add(message.getProps().getMessageId())).as("delivered once").isTrue();
            }
        }
        assertThat(ids).hasSize(REQUESTS);
    }

    private static long published() {
        return APP.getEnvironment().metrics().meter("outbox.published").getCount();
    }

    private static long unsent(String routingKey) {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM outbox "
                + "WHERE routing_key = :routingKey").bind("routingKey", routingKey).mapTo(Long.class).one());
    }
}
