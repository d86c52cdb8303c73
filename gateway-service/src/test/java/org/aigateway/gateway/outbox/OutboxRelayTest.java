package org.aigateway.gateway.outbox;

import com.codahale.metrics.MetricRegistry;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import org.aigateway.contracts.Topology;
import org.aigateway.gateway.GatewayApplication;
import org.aigateway.support.broker.BatchingConnectionFactory;
import org.aigateway.support.broker.BrokerConnection;
import org.aigateway.support.testing.TestDatabase;
import org.aigateway.support.testing.TestVhost;
import org.aigateway.support.testing.WriteCountingSockets;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The relay against a real database and broker, mostly driven round by round on the test's thread: what it publishes
 * and deletes, that rows it is positioned past still go out once the database's transaction ids went back, and that a
 * backlog goes out at the pace of the broker's confirms and without scanning the outbox.
 */
class OutboxRelayTest {
    private static final TestDatabase DB = TestDatabase.migrated("gateway_outbox_relay", GatewayApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("outbox_relay");
    private static final String ROUTING_KEY = Topology.routingKey(Topology.PERFORMANCE_QUEUE);
    private static final String RELAY_APPLICATION_NAME = "outbox-relay-plans-test";

    private static Jdbi jdbi;
    private static OutboxDao outbox;
    private static BrokerConnection broker;
    private static OutboxRelay relay;
    private static Connection observer;
    private static final WriteCountingSockets SOCKETS = new WriteCountingSockets();

    @BeforeAll
    static void setUp() throws Exception {
        jdbi = Jdbi.create(DB.url(), DB.user(), DB.password())
                .installPlugin(new SqlObjectPlugin())
                .installPlugin(new PostgresPlugin());
        outbox = jdbi.onDemand(OutboxDao.class);
        BatchingConnectionFactory factory = new BatchingConnectionFactory();
        factory.setUri(VHOST.uri());
        factory.setSocketFactory(SOCKETS);
        broker = new BrokerConnection(factory, "outbox-relay-test", Duration.ofMillis(100));
        broker.onConnected(Topology::declare);
        broker.start();
        await().atMost(Duration.ofSeconds(10)).until(broker::isReady);
        observer = factory.newConnection("outbox-relay-test-observer");
        relay = new OutboxRelay(jdbi, broker, new OutboxRelayFactory(), new MetricRegistry());
    }

    @AfterAll
    static void tearDown() throws Exception {
        try {
            if (relay != null) {
                relay.stop();
            }
            if (observer != null) {
                observer.close();
            }
            if (broker != null) {
                broker.stop();
            }
        } finally {
            VHOST.close();
            DB.close();
        }
    }

    @Test
    void rowsWrittenAfterTheDatabasesTransactionIdsWentBackArePublished() throws Exception {
        UUID first = insertEvent();
        relayUntilOutboxIsEmpty();
        assertThat(takePublished()).containsExactly(first.toString());

        // As if the relay had last read rows of transactions the database no longer knows: a restore, or a failover
        // to a standby that lacked them, which its connection lived through. New rows now sort behind its position.
        long horizon = outbox.horizon().xmin();
        relay.positionAt(horizon + 1_000_000, 0);
        UUID second = insertEvent();
        relayUntilOutboxIsEmpty();

        assertThat(takePublished()).containsExactly(second.toString());
    }

    @Test
    void aRoundsPublishesLeaveTogether() throws Exception {
        relayUntilOutboxIsEmpty();
        takePublished();
        List<String> written = insertEvents(40);

        int before = SOCKETS.writes();
        relay.relayOnce();
        int writes = SOCKETS.writes() - before;
        relayUntilOutboxIsEmpty();

        // One socket write per message would be 40; these small ones fill the client's 8 KiB buffer about once.
        assertThat(writes).isBetween(1, 3);
        awaitPublished(written);
    }

    @Test
    void aBacklogLargerThanTheConfirmWindowGoesOutWithoutWaitingTheBatchDelayBetweenWindows() throws Exception {
        relayUntilOutboxIsEmpty();
        takePublished();
        List<String> written = insertEvents(60);
        // Fifteen windows' worth. Were the relay to wait the batch delay whenever its window is full, as it does
        // after a wake-up for new rows, the backlog would take at least ten seconds to go out.
        OutboxRelayFactory settings = new OutboxRelayFactory();
        settings.setConfirmWindow(4);
        settings.setBatchSize(4);
        settings.setBatchDelay(io.dropwizard.util.Duration.seconds(1));
        settings.setPollInterval(io.dropwizard.util.Duration.seconds(1));
        OutboxRelay threadedRelay = new OutboxRelay(jdbi, broker, settings, new MetricRegistry());
        threadedRelay.start();
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> outbox.countUnsent() == 0);
            awaitPublished(written);
        } finally {
            threadedRelay.stop();
            discardOutboxAndQueue();
        }
    }

    @Test
    void aBacklogThatFormsAfterTheRelayStartedIsNotReadByScanningTheOutbox() throws Exception {
        relayUntilOutboxIsEmpty();
        takePublished();
        OutboxRelayFactory settings = new OutboxRelayFactory();
        settings.setBatchSize(200);
        settings.setConfirmWindow(100_000);
        // Its connection plans as the gateway's do (config/gateway.yml): once, for any values.
        Jdbi genericPlans = Jdbi.create(DB.url() + "?ApplicationName=" + RELAY_APPLICATION_NAME
                        + "&options=-c%20plan_cache_mode%3Dforce_generic_plan", DB.user(), DB.password())
                .installPlugin(new SqlObjectPlugin())
                .installPlugin(new PostgresPlugin());
        MetricRegistry metrics = new MetricRegistry();
        OutboxRelay relayWithGenericPlans = new OutboxRelay(genericPlans, broker, settings, metrics);
        int backlog = 10_000;
        long rowsScannedBefore;
        try {
            // Rows sent one at a time first, with the outbox as autovacuum leaves one the relay keeps up with: a
            // connection that kept its plans for reading and deleting would keep ones made for an empty table.
            jdbi.useHandle(handle -> handle.execute("VACUUM ANALYZE outbox"));
            for (int row = 1; row <= 8; row++) {
                insertEvent();
                relayUntilConfirmed(relayWithGenericPlans, metrics, row);
                relayWithGenericPlans.relayOnce();
            }
            rowsScannedBefore = outboxRowsScanned();
            jdbi.useHandle(handle -> handle.execute("INSERT INTO outbox (event_id, routing_key, payload) "
                    + "SELECT gen_random_uuid(), ?, repeat('x', 500) FROM generate_series(1, ?)", ROUTING_KEY, backlog));
            relayUntilConfirmed(relayWithGenericPlans, metrics, 8 + backlog);
        } finally {
            relayWithGenericPlans.stop();
            discardOutboxAndQueue();
        }
        // A backend reports what it scanned by the time it exits, before it leaves pg_stat_activity.
        await().atMost(Duration.ofSeconds(10)).until(() -> jdbi.withHandle(handle -> handle.createQuery(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
                .bind("name", RELAY_APPLICATION_NAME).mapTo(Long.class).one()) == 0);

        // Fifty reads of 200 rows through the index read none by scanning; scanning the outbox for each of them
        // would read about 250,000.
        assertThat(outboxRowsScanned() - rowsScannedBefore).isLessThan(backlog);
    }

    /** Drops what a test's own relay left unsent or published, so the other tests start from nothing. */
    private static void discardOutboxAndQueue() throws Exception {
        jdbi.useHandle(handle -> handle.execute("DELETE FROM outbox"));
        try (Channel channel = observer.createChannel()) {
            channel.queuePurge(Topology.PERFORMANCE_QUEUE);
        }
    }

    /** Inserts this many events and returns their ids. */
    private static List<String> insertEvents(int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(insertEvent().toString());
        }
        return ids;
    }

    /** Waits until each of these events has been taken off the queue. */
    private static void awaitPublished(List<String> ids) {
        List<String> missing = new ArrayList<>(ids);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            missing.removeAll(takePublished());
            return missing.isEmpty();
        });
    }

    /** Runs the relay's rounds until the broker has confirmed this many messages in all. */
    private static void relayUntilConfirmed(OutboxRelay relay, MetricRegistry metrics, long confirmed) {
        await().atMost(Duration.ofSeconds(60)).pollInSameThread().pollInterval(Duration.ofMillis(10)).until(() -> {
            relay.relayOnce();
            return metrics.meter("outbox.confirmed").getCount() == confirmed;
        });
    }

    /** Rows of the outbox read by sequential scans so far, as the backends that reported them counted. */
    private static long outboxRowsScanned() {
        return jdbi.withHandle(handle -> {
            handle.execute("SELECT pg_stat_clear_snapshot()");
            return handle.createQuery("SELECT seq_tup_read FROM pg_stat_user_tables WHERE relname = 'outbox'")
                    .mapTo(Long.class)
                    .one();
        });
    }

    @Test
    void aDatabaseThatDidNotGoBackIsNotReadFromTheStart() throws Exception {
        insertEvent();
        relayUntilOutboxIsEmpty();
        takePublished();

        // A committed row the relay is positioned on, as if it had read it: only a read from the start publishes it.
        UUID behind = insertEvent();
        OutboxMessage row = jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT txid::text::bigint AS txid, id FROM outbox")
                .map((rs, ctx) -> new OutboxMessage(rs.getLong("txid"), rs.getLong("id"), behind, null, null))
                .one());
        relay.positionAt(row.txid(), row.id());
        try {
            for (int round = 0; round < 25; round++) {
                relay.relayOnce();
                Thread.sleep(20);
            }

            assertThat(takePublished()).isEmpty();
            assertThat(outbox.countUnsent()).isEqualTo(1);
        } finally {
            jdbi.useHandle(handle -> handle.execute("DELETE FROM outbox"));
        }
    }

    private static UUID insertEvent() {
        UUID eventId = UUID.randomUUID();
        outbox.insert(List.of(OutboxMessage.unsaved(eventId, ROUTING_KEY, "{\"eventId\":\"" + eventId + "\"}")));
        return eventId;
    }

    /** Runs relay rounds until every row was published, confirmed and deleted; confirms arrive in between. */
    private static void relayUntilOutboxIsEmpty() {
        await().atMost(Duration.ofSeconds(10)).pollInSameThread().pollInterval(Duration.ofMillis(20)).until(() -> {
            relay.relayOnce();
            return outbox.countUnsent() == 0;
        });
    }

    /** The message ids waiting on the queue, taken off it. */
    private static List<String> takePublished() throws Exception {
        List<String> ids = new ArrayList<>();
        try (Channel channel = observer.createChannel()) {
            GetResponse message;
            while ((message = channel.basicGet(Topology.PERFORMANCE_QUEUE, true)) != null) {
                ids.add(message.getProps().getMessageId());
            }
        }
        return ids;
    }
}
