package org.aigateway.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.dropwizard.testing.ResourceHelpers;
import org.aigateway.analytics.AnalyticsApplication;
import org.aigateway.analytics.reconcile.Reconciliation;
import org.aigateway.contracts.Topology;
import org.aigateway.gateway.GatewayApplication;
import org.aigateway.gateway.auth.ApiKeyDao;
import org.aigateway.gateway.auth.ApiKeys;
import org.aigateway.support.testing.TcpProxy;
import org.aigateway.support.testing.TestDatabase;
import org.aigateway.support.testing.TestVhost;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The gateway and the analytics service as real processes from their shaded jars, on databases and a vhost of their
 * own, each reaching the broker through a link the test can cut. Knows how to tell that the two sides agree.
 */
final class RunningPipeline implements AutoCloseable {
    static final List<String> USERS = List.of("alice", "bob", "carol", "dave");
    static final String GATEWAY_INSTANCE = "e2e-gateway-1";
    private static final Duration START_PATIENCE = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One outbox row: what the gateway publishes for one event. */
    record OutboxRow(UUID eventId, String routingKey, String payload) {
    }

    /** What the reconcile command printed and how it exited. */
    record CommandResult(int exitCode, String stdout) {
    }

    final TestDatabase gatewayDb;
    final TestDatabase analyticsDb;
    final TestVhost vhost;
    final TcpProxy gatewayBrokerLink;
    final TcpProxy analyticsBrokerLink;
    final ServiceProcess gateway;
    final ServiceProcess analytics;
    final Jdbi gatewayJdbi;
    final Jdbi analyticsJdbi;
    final Map<String, String> keys = new TreeMap<>();
    private final Connection broker;

    private RunningPipeline(String prefix) throws Exception {
        gatewayDb = TestDatabase.migrated(prefix + "_gateway", GatewayApplication.CHANGELOG);
        analyticsDb = TestDatabase.migrated(prefix + "_analytics", AnalyticsApplication.CHANGELOG);
        vhost = TestVhost.create(prefix);
        gatewayBrokerLink = TcpProxy.toBroker();
        analyticsBrokerLink = TcpProxy.toBroker();
        gatewayJdbi = Jdbi.create(gatewayDb.url(), gatewayDb.user(), gatewayDb.password())
                .installPlugin(new SqlObjectPlugin());
        analyticsJdbi = Jdbi.create(analyticsDb.url(), analyticsDb.user(), analyticsDb.password());
        ApiKeys apiKeys = new ApiKeys(gatewayJdbi.onDemand(ApiKeyDao.class));
        for (String user : USERS) {
            keys.put(user, apiKeys.create(user, prefix, false).plaintext());
        }
        gateway = new ServiceProcess(prefix + "-gateway", ServiceProcess.jar("e2e.gatewayJar"),
                Path.of(ResourceHelpers.resourceFilePath("e2e-gateway.yml")), Map.of(
                "database.url", gatewayDb.url(),
                "rabbitmq.uri", vhost.uriThrough(gatewayBrokerLink.port()),
                "outbox.pollInterval", "50ms",
                "recovery.instanceId", GATEWAY_INSTANCE,
                "providers.mock.latency", "5ms"));
        analytics = new ServiceProcess(prefix + "-analytics", ServiceProcess.jar("e2e.analyticsJar"),
                Path.of(ResourceHelpers.resourceFilePath("e2e-analytics.yml")), Map.of(
                "database.url", analyticsDb.url(),
                "rabbitmq.uri", vhost.uriThrough(analyticsBrokerLink.port())));
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(vhost.uri());
        broker = factory.newConnection(prefix + "-test");
    }

    /** Both services started and healthy. */
    static RunningPipeline start(String prefix) throws Exception {
        RunningPipeline pipeline = new RunningPipeline(prefix);
        pipeline.analytics.start();
        pipeline.gateway.start();
        pipeline.analytics.awaitHealthy(START_PATIENCE);
        pipeline.gateway.awaitHealthy(START_PATIENCE);
        return pipeline;
    }

    /** Load from every user, each with {@code sessionsPerUser} sessions that wait for their answers. */
    LoadGenerator load(int sessionsPerUser, double requestsPerSecond, LoadGenerator.Mix mix) {
        return new LoadGenerator(gateway::port, keys, sessionsPerUser, requestsPerSecond, mix);
    }

    long pendingRequests() {
        return gatewayCount("SELECT count(*) FROM request_history WHERE status = 'pending'");
    }

    long unsentEvents() {
        return gatewayCount("SELECT count(*) FROM outbox");
    }

    long gatewayCount(String sql) {
        return gatewayJdbi.withHandle(h -> h.createQuery(sql).mapTo(Long.class).one());
    }

    long analyticsCount(String sql) {
        return analyticsJdbi.withHandle(h -> h.createQuery(sql).mapTo(Long.class).one());
    }

    /** Messages in every dead-letter queue together. */
    long deadLetters() throws IOException, TimeoutException {
        long total = 0;
        try (Channel channel = broker.createChannel()) {
            for (String queue : Topology.WORK_QUEUES) {
                total += channel.queueDeclarePassive(Topology.deadLetterQueue(queue)).getMessageCount();
            }
        }
        return total;
    }

    /**
     * Waits until nothing is pending, the outbox is drained and analytics equals history per user and per day, then
     * checks that no event was dead-lettered and that the reconcile command, run as an operator would, agrees.
     */
    void awaitHistoryAndAnalyticsAgree(Duration patience) throws Exception {
        Reconciliation reconciliation = new Reconciliation(gatewayJdbi, analyticsJdbi);
        await().atMost(patience).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(pendingRequests()).as("pending requests").isZero();
            assertThat(unsentEvents()).as("unsent outbox events").isZero();
            assertThat(reconciliation.run().differences()).as("history vs analytics").isEmpty();
        });
        assertThat(deadLetters()).as("dead letters").isZero();
        CommandResult reconcile = reconcileCommand();
        assertThat(reconcile.stdout()).startsWith("history and analytics agree:");
        assertThat(reconcile.exitCode()).as(reconcile.stdout()).isZero();
    }

    /** {@code java -jar analytics-service.jar reconcile e2e-analytics.yml} against this pipeline's databases. */
    CommandResult reconcileCommand() throws IOException, InterruptedException {
        return reconcileCommand(gatewayDb, analyticsDb);
    }

    /** The reconcile command, run from the analytics jar as an operator would, against two databases. */
    static CommandResult reconcileCommand(TestDatabase gatewayDb, TestDatabase analyticsDb)
            throws IOException, InterruptedException {
        Path log = Files.createTempFile("reconcile", ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                "-Ddw.database.url=" + analyticsDb.url(),
                "-Ddw.reconcile.gatewayDatabase.url=" + gatewayDb.url(),
                "-jar", ServiceProcess.jar("e2e.analyticsJar").toString(),
                "reconcile", ResourceHelpers.resourceFilePath("e2e-analytics.yml")));
        Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
        String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("reconcile did not finish; see " + log);
        }
        return new CommandResult(process.exitValue(), stdout.strip());
    }

    /** Refuses every connection to the analytics database and drops the open ones, as a database outage would. */
    void cutAnalyticsDatabase() {
        admin("ALTER DATABASE " + analyticsDb.name() + " ALLOW_CONNECTIONS false");
        admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + analyticsDb.name() + "'");
    }

    void restoreAnalyticsDatabase() {
        admin("ALTER DATABASE " + analyticsDb.name() + " ALLOW_CONNECTIONS true");
    }

    private void admin(String sql) {
        String url = gatewayDb.url().substring(0, gatewayDb.url().lastIndexOf('/') + 1) + "postgres";
        try (var connection = DriverManager.getConnection(url, gatewayDb.user(), gatewayDb.password());
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** Outbox rows (every one is unsent: the relay deletes what the broker confirmed), newest first. */
    List<OutboxRow> outboxRows(int limit) {
        return gatewayJdbi.withHandle(h -> h.createQuery("SELECT event_id, routing_key, payload FROM outbox "
                        + "ORDER BY id DESC LIMIT :limit")
                .bind("limit", limit)
                .map((rs, ctx) -> new OutboxRow(UUID.fromString(rs.getString("event_id")), rs.getString("routing_key"),
                        rs.getString("payload")))
                .list());
    }

    /** How many of these rows are still in the outbox, that is, not yet confirmed by the broker. */
    long outboxCount(List<OutboxRow> rows) {
        String[] ids = rows.stream().map(row -> row.eventId().toString()).toArray(String[]::new);
        return gatewayJdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM outbox "
                        + "WHERE event_id = ANY(CAST(:ids AS uuid[]))")
                .bind("ids", ids)
                .mapTo(Long.class)
                .one());
    }

    /** Publishes rows straight to the exchange, as the gateway's relay does, and waits for the broker's confirms. */
    void publish(List<OutboxRow> rows) throws Exception {
        try (Channel channel = broker.createChannel()) {
            channel.confirmSelect();
            for (OutboxRow row : rows) {
                channel.basicPublish(Topology.EXCHANGE, row.routingKey(), true, new AMQP.BasicProperties.Builder()
                                .messageId(row.eventId().toString()).contentType("application/json").deliveryMode(2)
                                .build(),
                        row.payload().getBytes(StandardCharsets.UTF_8));
            }
            channel.waitForConfirmsOrDie(30_000);
        }
    }

    /** A meter's count from a service's admin {@code /metrics}. */
    static long meterCount(ServiceProcess service, String meter) throws Exception {
        JsonNode metrics = JSON.readTree(service.admin("/metrics"));
        return metrics.path("meters").path(meter).path("count").asLong();
    }

    /** A gauge's value from a service's admin {@code /metrics}. */
    static long gaugeValue(ServiceProcess service, String gauge) throws Exception {
        JsonNode metrics = JSON.readTree(service.admin("/metrics"));
        return metrics.path("gauges").path(gauge).path("value").asLong();
    }

    @Override
    public void close() throws Exception {
        gateway.close();
        analytics.close();
        broker.abort();
        gatewayBrokerLink.close();
        analyticsBrokerLink.close();
        restoreAnalyticsDatabase();
        gatewayDb.close();
        analyticsDb.close();
        vhost.close();
    }
}
