package org.aigateway.e2e;

import com.codahale.metrics.health.HealthCheck;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.DropwizardTestSupport;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import org.aigateway.analytics.AnalyticsApplication;
import org.aigateway.analytics.AnalyticsConfiguration;
import org.aigateway.gateway.GatewayApplication;
import org.aigateway.gateway.GatewayConfiguration;
import org.aigateway.gateway.auth.ApiKeyDao;
import org.aigateway.gateway.auth.ApiKeys;
import org.aigateway.support.testing.TcpProxy;
import org.aigateway.support.testing.TestDatabase;
import org.aigateway.support.testing.TestVhost;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole pipeline: requests through the gateway, events through the outbox and the broker, two analytics
 * consumers at once. Analytics totals must equal the sums of {@code request_history} exactly.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class UsageReachesAnalyticsTest {
    private static final TestDatabase GATEWAY_DB = TestDatabase.migrated("e2e_gateway", GatewayApplication.CHANGELOG);
    private static final TestDatabase ANALYTICS_DB = TestDatabase.migrated("e2e_analytics", AnalyticsApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("e2e");
    private static final TcpProxy GATEWAY_BROKER_LINK = TcpProxy.toBroker();

    private static final DropwizardAppExtension<GatewayConfiguration> GATEWAY = new DropwizardAppExtension<>(
            GatewayApplication.class, ResourceHelpers.resourceFilePath("e2e-gateway.yml"), "gateway",
            ConfigOverride.config("gateway", "database.url", GATEWAY_DB::url),
            ConfigOverride.config("gateway", "rabbitmq.uri", () -> VHOST.uriThrough(GATEWAY_BROKER_LINK.port())),
            ConfigOverride.config("gateway", "outbox.pollInterval", "50ms"));

    private static final DropwizardAppExtension<AnalyticsConfiguration> ANALYTICS = new DropwizardAppExtension<>(
            AnalyticsApplication.class, ResourceHelpers.resourceFilePath("e2e-analytics.yml"), "analytics-a",
            ConfigOverride.config("analytics-a", "database.url", ANALYTICS_DB::url),
            ConfigOverride.config("analytics-a", "rabbitmq.uri", VHOST::uri));

    private static final DropwizardTestSupport<AnalyticsConfiguration> SECOND_ANALYTICS = new DropwizardTestSupport<>(
            AnalyticsApplication.class, ResourceHelpers.resourceFilePath("e2e-analytics.yml"), "analytics-b",
            ConfigOverride.config("analytics-b", "database.url", ANALYTICS_DB::url),
            ConfigOverride.config("analytics-b", "rabbitmq.uri", VHOST::uri));

    private static final List<String> USERS = List.of("alice", "bob", "carol");
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static Jdbi gatewayDb;
    private static Jdbi analyticsDb;
    private static final Map<String, String> KEYS = new TreeMap<>();


    @BeforeAll
    static void setUp() throws Exception {
        SECOND_ANALYTICS.before();
        gatewayDb = Jdbi.create(GATEWAY_DB.url(), GATEWAY_DB.user(), GATEWAY_DB.password()).installPlugin(new SqlObjectPlugin());
        analyticsDb = Jdbi.create(ANALYTICS_DB.url(), ANALYTICS_DB.user(), ANALYTICS_DB.password());
        ApiKeys keys = new ApiKeys(gatewayDb.onDemand(ApiKeyDao.class));
        for (String user : USERS) {
            KEYS.put(user, keys.create(user, "e2e", false).plaintext());
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> brokerHealthy(true));
    }

    @AfterAll
    static void tearDown() {
        SECOND_ANALYTICS.after();
        GATEWAY_BROKER_LINK.close();
    }

    @Test
    void analyticsTotalsEqualHistoryExactlyWithTwoConsumers() throws Exception {
        sendConcurrently(90);
        awaitAnalyticsMatchesHistory();
    }

    @Test
    void requestsMadeWhileTheBrokerIsUnreachableAreAllCounted() throws Exception {
        GATEWAY_BROKER_LINK.cut();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> brokerHealthy(false));
            sendConcurrently(30);
            long unsent = gatewayDb.withHandle(h -> h.createQuery("SELECT count(*) FROM outbox")
                    .mapTo(Long.class).one());
            assertThat(unsent).isGreaterThanOrEqualTo(30);
        } finally {
            GATEWAY_BROKER_LINK.restore();
        }
        awaitAnalyticsMatchesHistory();
    }

    /** Mixed traffic from three users: successes with different prompt sizes and failures of an unreachable upstream. */
    private static void sendConcurrently(int requests) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                String user = USERS.get(i % USERS.size());
                String model = i % 10 == 9 ? "remote-1" : "mock-1";
                String text = "request " + i + " " + "word ".repeat(i % 17);
                statuses.add(pool.submit(() -> chat(KEYS.get(user), model, text)));
            }
            for (Future<Integer> status : statuses) {
                assertThat(status.get()).isIn(200, 502);
            }
        } finally {
            pool.shutdown();
        }
    }

    private static int chat(String key, String model, String text) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + GATEWAY.getLocalPort() + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}"))
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static void awaitAnalyticsMatchesHistory() {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(analyticsTotals()).isEqualTo(historyTotals()));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(analyticsDaily()).isEqualTo(historyDaily()));
    }

    private static List<String> historyTotals() {
        return gatewayDb.withHandle(h -> h.createQuery("SELECT user_id || '|' || count(*) || '|' "
                        + "|| count(*) FILTER (WHERE status = 'success') || '|' || sum(coalesce(total_tokens, 0)) || '|' "
                        + "|| sum(coalesce(cost, 0)) FROM request_history WHERE status <> 'pending' GROUP BY user_id ORDER BY user_id")
                .mapTo(String.class).list());
    }

    private static List<String> analyticsTotals() {
        return analyticsDb.withHandle(h -> h.createQuery("SELECT user_id || '|' || total_requests || '|' "
                        + "|| successful_requests || '|' || total_tokens || '|' || total_cost FROM user_analytics ORDER BY user_id")
                .mapTo(String.class).list());
    }

    private static List<String> historyDaily() {
        return gatewayDb.withHandle(h -> h.createQuery("SELECT user_id || '|' || day || '|' || count(*) || '|' "
                        + "|| sum(coalesce(total_tokens, 0)) || '|' || sum(coalesce(cost, 0)) FROM (SELECT user_id, "
                        + "(created_at AT TIME ZONE 'UTC')::date AS day, total_tokens, cost FROM request_history "
                        + "WHERE status <> 'pending') r GROUP BY user_id, day ORDER BY user_id, day")
                .mapTo(String.class).list());
    }

    private static List<String> analyticsDaily() {
        return analyticsDb.withHandle(h -> h.createQuery("SELECT user_id || '|' || usage_date || '|' || total_requests "
                        + "|| '|' || total_tokens || '|' || total_cost FROM user_usage_history ORDER BY user_id, usage_date")
                .mapTo(String.class).list());
    }

    private static boolean brokerHealthy(boolean healthy) {
        HealthCheck.Result result = GATEWAY.getEnvironment().healthChecks().runHealthCheck("rabbitmq");
        return result.isHealthy() == healthy;
    }
}
