package org.aigateway.gateway;

import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import org.aigateway.gateway.auth.ApiKeyDao;
import org.aigateway.gateway.auth.ApiKeys;
import org.aigateway.support.testing.TestDatabase;
import org.aigateway.support.testing.TestVhost;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The request thread pool gives back what a burst of slow requests made it grow by, within one idle timeout. */
@ExtendWith(DropwizardExtensionsSupport.class)
class ServerThreadPoolTest {
    private static final int BURST = 120;

    // Both are dropped at JVM exit; an @AfterAll would run before the extension stops the app that uses them.
    private static final TestDatabase DB = TestDatabase.migrated("gateway", GatewayApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("gateway");

    private static final DropwizardAppExtension<GatewayConfiguration> APP = new DropwizardAppExtension<>(
            GatewayApplication.class,
            ResourceHelpers.resourceFilePath("test-gateway.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", VHOST::uri),
            ConfigOverride.config("server.idleThreadTimeout", "1s"),
            // The JDK's default backlog of 50 would turn a burst of connects into waves a second apart.
            ConfigOverride.config("server.applicationConnectors[0].acceptQueueSize", String.valueOf(BURST)),
            // Long enough for every request of the burst to be in the gateway at once.
            ConfigOverride.config("providers.mock.latency", "2s"));

    @Test
    void aBurstOfSlowRequestsLeavesNoExcessThreadsBehind() throws Exception {
        String key = new ApiKeys(Jdbi.create(DB::connect).installPlugin(new SqlObjectPlugin())
                .installPlugin(new PostgresPlugin()).onDemand(ApiKeyDao.class)).create("dora", null, false).plaintext();
        GatewayClient client = new GatewayClient(APP::getLocalPort, APP.getObjectMapper(), Duration.ofSeconds(30));
        QueuedThreadPool pool = (QueuedThreadPool) APP.getEnvironment().getApplicationContext().getServer().getThreadPool();
        String body = "{\"model\":\"mock-1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        AtomicInteger peak = new AtomicInteger();
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(() -> peak.accumulateAndGet(pool.getThreads(), Math::max), 0, 20,
                TimeUnit.MILLISECONDS);
        ExecutorService clients = Executors.newFixedThreadPool(BURST);
        try {
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < BURST; i++) {
                answers.add(clients.submit(() -> client.chat(key, body)));
            }
            for (Future<HttpResponse<String>> answer : answers) {
                assertThat(answer.get().statusCode()).isEqualTo(200);
            }
        } finally {
            clients.shutdownNow();
            sampler.shutdownNow();
        }
        assertThat(peak.get()).as("request threads during the burst").isGreaterThan(BURST / 2);

        // By Jetty's default of one thread per idle timeout, most would still be there after 15 s.
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                assertThat(pool.getThreads()).isLessThanOrEqualTo(pool.getMinThreads() + pool.getLeasedThreads()));
    }
}
