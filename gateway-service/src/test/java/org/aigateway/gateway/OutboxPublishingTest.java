package org.aigateway.gateway;

import com.codahale.metrics.health.HealthCheck;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import org.aigateway.contracts.UsageEvent;
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

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Events reach the broker exactly as history recorded them, confirmed, and survive a broker outage. */
@ExtendWith(DropwizardExtensionsSupport.class)
class OutboxPublishingTest {
    private static final TestDatabase DB = TestDatabase.migrated("gateway_outbox", GatewayApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("gateway_outbox");
    private static final TcpProxy BROKER = TcpProxy.toBroker();
    private static final ObjectMapper MAPPER = EventJson.newMapper();

    private static final DropwizardAppExtension<GatewayConfiguration> APP = new DropwizardAppExtension<>(
            GatewayApplication.class, ResourceHelpers.resourceFilePath("test-gateway.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", () -> VHOST.uriThrough(BROKER.port())),
            ConfigOverride.config("outbox.pollInterval", "50ms"));

    private static Jdbi jdbi;
    private static String aliceKey;
    private static GatewayClient client;
    private static Connection observer;


    @BeforeAll
    static void setUp() throws Exception {
        jdbi = Jdbi.create(DB.url(), DB.user(), DB.password()).installPlugin(new SqlObjectPlugin());
        aliceKey = new ApiKeys(jdbi.onDemand(ApiKeyDao.class)).create("alice", "test", false).plaintext();
        client = new GatewayClient(APP::getLocalPort, MAPPER);
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(VHOST.uri());
        observer = factory.newConnection("outbox-test-observer");
        awaitBrokerHealth(true);
    }

    @AfterAll
    static void tearDown() throws Exception {
        observer.close();
        BROKER.close();
    }

    @Test
    void everyRequestIsPublishedOnceWithConfirmedMessageIds() throws Exception {
        List<String> historyIds = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> response = client.chat(aliceKey, chatBody("count me " + i));
            assertThat(response.statusCode()).isEqualTo(200);
            historyIds.add(response.headers().firstValue("X-Request-Id").orElseThrow());
        }
        awaitOutboxDrained();

        Map<String, UsageEvent> usage = drain(Topology.EVENTS_QUEUE);
        Map<String, UsageEvent> timings = drain(Topology.PERFORMANCE_QUEUE);
        assertThat(usage).hasSize(20);
        assertThat(timings).hasSize(20);
        assertThat(usage.keySet()).doesNotContainAnyElementsOf(timings.keySet());

        Set<String> described = new HashSet<>();
        for (UsageEvent event : usage.values()) {
            assertThat(event.eventType()).isEqualTo(UsageEvent.TYPE_AI_REQUEST);
            assertThat(event.eventName()).isEqualTo("chat_completion_success");
            assertThat(event.userId()).isEqualTo("alice");
            String historyId = event.metadata().historyId().toString();
            described.add(historyId);
            Map<String, Object> row = jdbi.withHandle(h -> h.createQuery(
                            "SELECT total_tokens, prompt_tokens, completion_tokens, cost FROM request_history WHERE id = :id")
                    .bind("id", UUID.fromString(historyId)).mapToMap().one());
            assertThat(event.properties().tokensUsed()).isEqualTo(((Number) row.get("total_tokens")).longValue());
            assertThat(event.properties().promptTokens()).isEqualTo(((Number) row.get("prompt_tokens")).longValue());
            assertThat(event.properties().cost()).isEqualByComparingTo((BigDecimal) row.get("cost"));
        }
        assertThat(described).containsExactlyInAnyOrderElementsOf(historyIds);
    }

    @Test
    void brokerDownRequestsStillSucceedAndAreDeliveredWhenItReturns() throws Exception {
        BROKER.cut();
        try {
            awaitBrokerHealth(false);
            for (int i = 0; i < 15; i++) {
                assertThat(client.chat(aliceKey, chatBody("while the broker is away " + i)).statusCode()).isEqualTo(200);
            }
            assertThat(unsent()).isEqualTo(30);
        } finally {
            BROKER.restore();
        }
        awaitBrokerHealth(true);
        awaitOutboxDrained();
        assertThat(drain(Topology.EVENTS_QUEUE)).hasSize(15);
        assertThat(drain(Topology.PERFORMANCE_QUEUE)).hasSize(15);
    }

    @Test
    void upstreamFailuresAlsoRaiseACriticalEvent() throws Exception {
        HttpResponse<String> response = client.chat(aliceKey,
                "{\"model\":\"remote-1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(response.statusCode()).isEqualTo(502);
        awaitOutboxDrained();
        Map<String, UsageEvent> critical = drain(Topology.CRITICAL_QUEUE);
        assertThat(critical).hasSize(1);
        assertThat(critical.values().iterator().next().eventName()).isEqualTo("upstream_unreachable");
        Map<String, UsageEvent> usage = drain(Topology.EVENTS_QUEUE);
        assertThat(usage).hasSize(1);
        assertThat(usage.values().iterator().next().eventName()).isEqualTo("chat_completion_error");
        drain(Topology.PERFORMANCE_QUEUE);
    }

    @Test
    void refusedCredentialsRaiseACriticalEventWithoutTheKey() throws Exception {
        String wrongKey = "sk-gw-not-a-real-key-0123456789";
        assertThat(client.chat(wrongKey, chatBody("let me in")).statusCode()).isEqualTo(401);
        awaitOutboxDrained();
        try (Channel channel = observer.createChannel()) {
            GetResponse message = channel.basicGet(Topology.CRITICAL_QUEUE, true);
            assertThat(message).isNotNull();
            String body = new String(message.getBody(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(body).doesNotContain(wrongKey);
            UsageEvent event = MAPPER.readValue(body, UsageEvent.class);
            assertThat(event.eventName()).isEqualTo("authentication_failed");
            assertThat(event.userId()).isEqualTo("anonymous");
            assertThat(event.properties().httpStatus()).isEqualTo(401);
        }
        assertThat(drain(Topology.EVENTS_QUEUE)).as("a refused request is not usage").isEmpty();
    }

    private static String chatBody(String text) {
        return "{\"model\":\"mock-1\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }

    private static long unsent() {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM outbox")
                .mapTo(Long.class).one());
    }

    private static void awaitOutboxDrained() {
        await().atMost(Duration.ofSeconds(30)).until(() -> unsent() == 0);
    }

    private static void awaitBrokerHealth(boolean healthy) {
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            HealthCheck.Result result = APP.getEnvironment().healthChecks().runHealthCheck("rabbitmq");
            return result.isHealthy() == healthy;
        });
    }

    /** Takes every message off a queue; keyed by AMQP message id, which must equal the event id. */
    private static Map<String, UsageEvent> drain(String queue) throws Exception {
        Map<String, UsageEvent> events = new HashMap<>();
        try (Channel channel = observer.createChannel()) {
            GetResponse message;
            while ((message = channel.basicGet(queue, true)) != null) {
                JsonNode json = MAPPER.readTree(message.getBody());
                UsageEvent event = MAPPER.treeToValue(json, UsageEvent.class);
                assertThat(message.getProps().getMessageId()).isEqualTo(event.eventId().toString());
                assertThat(message.getProps().getDeliveryMode()).isEqualTo(2);
                assertThat(events.put(message.getProps().getMessageId(), event)).as("duplicate delivery").isNull();
            }
        }
        return events;
    }
}
