package org.aigateway.e2e;

import org.aigateway.e2e.RunningPipeline.OutboxRow;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Faults injected into the running gateway, broker link, analytics service and analytics database under a steady
 * load of chat requests. After each, analytics must equal request history exactly per user and per day (checked by
 * the reconcile command), no event may be dead-lettered and no request may stay pending.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultInjectionTest {
    private static final double REQUESTS_PER_SECOND = 20;
    private static final Duration CONVERGENCE = Duration.ofSeconds(90);
    private static final String CONSUMER_METRICS = "org.aigateway.analytics.consumer.EventConsumer.";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static RunningPipeline pipeline;

    @BeforeAll
    static void start() throws Exception {
        pipeline = RunningPipeline.start("faults");
    }

    @AfterAll
    static void stop() throws Exception {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    private static LoadGenerator load() {
        return pipeline.load(2, REQUESTS_PER_SECOND, new LoadGenerator.Mix(LoadGenerator.streamingRequested(), false));
    }

    @Test
    @Order(1)
    void brokerUnreachableForTwentySecondsLosesNothing() throws Exception {
        LoadGenerator load = load().start();
        try {
            Thread.sleep(2000);
            pipeline.gatewayBrokerLink.cut();
            pipeline.analyticsBrokerLink.cut();
            Thread.sleep(20_000);
            // Requests kept succeeding, and their events waited in the outbox.
            assertThat(pipeline.unsentEvents()).isGreaterThan(100);
            pipeline.gatewayBrokerLink.restore();
            pipeline.analyticsBrokerLink.restore();
            Thread.sleep(3000);
        } finally {
            load.close();
        }
        assertServedWithoutFailures(load);
        pipeline.awaitHistoryAndAnalyticsAgree(CONVERGENCE);
    }

    @Test
    @Order(2)
    void analyticsKilledMidBatchCountsEveryRequestOnce() throws Exception {
        LoadGenerator load = load().start();
        try {
            long stored = pipeline.analyticsCount("SELECT count(*) FROM analytics_events");
            await().atMost(CONVERGENCE).until(() ->
                    pipeline.analyticsCount("SELECT count(*) FROM analytics_events") > stored + 100);
            pipeline.analytics.kill();
            Thread.sleep(3000);
            pipeline.analytics.start();
            pipeline.analytics.awaitUp(CONVERGENCE);
            Thread.sleep(3000);
        } finally {
            load.close();
        }
        assertServedWithoutFailures(load);
        pipeline.awaitHistoryAndAnalyticsAgree(CONVERGENCE);
    }

    @Test
    @Order(3)
    void analyticsDatabaseUnreachableForThirtySecondsLosesNothing() throws Exception {
        LoadGenerator load = load().start();
        long pausesBefore = RunningPipeline.meterCount(pipeline.analytics, CONSUMER_METRICS + "database-pauses");
        try {
            Thread.sleep(2000);
            pipeline.cutAnalyticsDatabase();
            try {
                Thread.sleep(30_000);
                assertThat(pipeline.analytics.status("/healthcheck")).isEqualTo(500);
            } finally {
                pipeline.restoreAnalyticsDatabase();
            }
            Thread.sleep(3000);
        } finally {
            load.close();
        }
        assertServedWithoutFailures(load);
        assertThat(RunningPipeline.meterCount(pipeline.analytics, CONSUMER_METRICS + "database-pauses"))
                .isGreaterThan(pausesBefore);
        pipeline.awaitHistoryAndAnalyticsAgree(CONVERGENCE);
        assertThat(RunningPipeline.meterCount(pipeline.analytics, CONSUMER_METRICS + "dead-lettered")).isZero();
    }

    @Test
    @Order(4)
    void gatewayKilledWithUnsentEventsAbortsItsRequestsAndSendsEverything() throws Exception {
        List<CompletableFuture<HttpResponse<Void>>> cutOff = new ArrayList<>();
        LoadGenerator load = load().start();
        try {
            Thread.sleep(2000);
            pipeline.gatewayBrokerLink.cut();
            Thread.sleep(5000);
            // Requests the gateway is still serving when it dies.
            for (String user : RunningPipeline.USERS) {
                cutOff.add(HTTP.sendAsync(slowRequest(pipeline.keys.get(user)), HttpResponse.BodyHandlers.discarding()));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> pipeline.gatewayCount(
                    "SELECT count(*) FROM request_history WHERE model = 'slow-1' AND status = 'pending'") == 4);
            long unsent = pipeline.unsentEvents();
            assertThat(unsent).isGreaterThan(100);

            pipeline.gateway.kill();
            assertThat(pipeline.unsentEvents()).isGreaterThanOrEqualTo(unsent);
            Thread.sleep(2000);
            pipeline.gatewayBrokerLink.restore();
            pipeline.gateway.start();
            pipeline.gateway.awaitUp(CONVERGENCE);
            Thread.sleep(3000);
        } finally {
            load.close();
        }
        assertThat(load.succeeded()).isPositive();
        // The requests cut off were closed as aborted by the restarted instance, and are counted like any other.
        assertThat(pipeline.gatewayCount("SELECT count(*) FROM request_history WHERE model = 'slow-1' "
                + "AND status = 'aborted' AND completed_at IS NOT NULL")).isEqualTo(4);
        assertThat(cutOff).allMatch(CompletableFuture::isCompletedExceptionally);
        pipeline.awaitHistoryAndAnalyticsAgree(CONVERGENCE);
        assertThat(pipeline.analyticsCount("SELECT count(*) FROM analytics_events WHERE event_type = 'ai_request' "
                + "AND status = 'aborted'")).isGreaterThanOrEqualTo(4);
    }

    @Test
    @Order(5)
    void eventsDeliveredTwiceThriceAndOutOfOrderCountOnce() throws Exception {
        long duplicatesBefore = RunningPipeline.meterCount(pipeline.analytics, CONSUMER_METRICS + "duplicates-skipped");
        List<OutboxRow> copies = new ArrayList<>();
        LoadGenerator load = load().start();
        try {
            Thread.sleep(2000);
            // Copies of events the gateway has sent already: taken while they wait, published once they are gone.
            pipeline.gatewayBrokerLink.cut();
            Thread.sleep(3000);
            List<OutboxRow> sent = pipeline.outboxRows(300);
            assertThat(sent).hasSizeGreaterThan(50);
            pipeline.gatewayBrokerLink.restore();
            await().atMost(CONVERGENCE).until(() -> pipeline.outboxCount(sent) == 0);
            // Events the gateway has not sent yet arrive first, as copies; its own publish comes after them.
            pipeline.gatewayBrokerLink.cut();
            Thread.sleep(4000);
            List<OutboxRow> unsent = pipeline.outboxRows(300);
            assertThat(unsent).hasSizeGreaterThan(50);
            for (int i = 0; i < unsent.size(); i++) {
                copies.addAll(Collections.nCopies(i % 2 == 0 ? 1 : 2, unsent.get(i)));
            }
            for (int i = 0; i < sent.size(); i++) {
                copies.addAll(Collections.nCopies(i % 2 == 0 ? 1 : 2, sent.get(i)));
            }
            Collections.shuffle(copies, new Random(5));
            pipeline.publish(copies);
            pipeline.gatewayBrokerLink.restore();
            Thread.sleep(3000);
        } finally {
            load.close();
        }
        assertServedWithoutFailures(load);
        pipeline.awaitHistoryAndAnalyticsAgree(CONVERGENCE);
        // Every copy reached the consumer and was recognised: each event was delivered two or three times in all.
        assertThat(RunningPipeline.meterCount(pipeline.analytics, CONSUMER_METRICS + "duplicates-skipped")
                - duplicatesBefore).isGreaterThanOrEqualTo(copies.size());
    }

    private static void assertServedWithoutFailures(LoadGenerator load) {
        assertThat(load.succeeded()).isPositive();
        assertThat(load.upstreamErrors()).isPositive();
        assertThat(load.failures()).as(String.join("\n", load.failureSamples())).isZero();
        if (LoadGenerator.streamingRequested()) {
            assertThat(load.streamed()).isPositive();
        }
    }

    private static HttpRequest slowRequest(String key) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + pipeline.gateway.port() + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(120))
                .header("Authorization", "Bearer " + key)
                .header("X-Session-Id", "cut-off")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"slow-1\",\"messages\":[{\"role\":\"user\",\"content\":\"never answered\"}]}"))
                .build();
    }
}
