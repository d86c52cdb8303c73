package org.aigateway.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.DropwizardTestSupport;
import io.dropwizard.testing.ResourceHelpers;
import org.aigateway.contracts.EventJson;
import org.aigateway.gateway.auth.ApiKeyDao;
import org.aigateway.gateway.auth.ApiKeys;
import org.aigateway.support.testing.TestDatabase;
import org.aigateway.support.testing.TestVhost;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Requests the gateway was serving when it died are closed as aborted when it starts again, with their events, and
 * so are requests pending longer than any request can take; another live instance's requests are left alone.
 */
class PendingRequestRecoveryTest {
    private static final TestDatabase DB = TestDatabase.migrated("gateway_recovery", GatewayApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("gateway_recovery");
    private static final ObjectMapper MAPPER = EventJson.newMapper();
    private static final Jdbi JDBI = Jdbi.create(DB::connect);
    private static final String INSTANCE = "gateway-a";
    private static final PublishedEvents EVENTS = new PublishedEvents(JDBI, VHOST);

    private static final DropwizardTestSupport<GatewayConfiguration> APP = new DropwizardTestSupport<>(
            GatewayApplication.class, ResourceHelpers.resourceFilePath("test-gateway.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", VHOST::uri),
            ConfigOverride.config("recovery.instanceId", INSTANCE),
            ConfigOverride.config("recovery.maxPendingAge", "10m"),
            ConfigOverride.config("recovery.sweepInterval", "1s"),
            ConfigOverride.config("logging.level", "WARN"));

    private static final UUID OWN_LEFTOVER = UUID.randomUUID();
    private static final UUID OTHER_INSTANCE_IN_FLIGHT = UUID.randomUUID();
    private static final UUID OTHER_INSTANCE_STUCK = UUID.randomUUID();
    private static final UUID UNKNOWN_INSTANCE_STUCK = UUID.randomUUID();
    private static final UUID OWN_FINISHED = UUID.randomUUID();

    @BeforeAll
    static void leftoversOfAnEarlierLifeThenStart() throws Exception {
        Instant now = Instant.now();
        insertPending(OWN_LEFTOVER, INSTANCE, now.minusSeconds(90));
        insertPending(OTHER_INSTANCE_IN_FLIGHT, "gateway-b", now.minusSeconds(90));
        insertPending(OTHER_INSTANCE_STUCK, "gateway-b", now.minus(Duration.ofHours(2)));
        insertPending(UNKNOWN_INSTANCE_STUCK, null, now.minus(Duration.ofHours(3)));
        insertPending(OWN_FINISHED, INSTANCE, now.minusSeconds(60));
        JDBI.useHandle(h -> h.execute("UPDATE request_history SET status = 'success', completed_at = now() "
                + "WHERE id = ?", OWN_FINISHED));
        APP.before();
    }

    @AfterAll
    static void stop() {
        APP.after();
    }

    @Test
    void ownLeftoversAndOverduePendingRowsAreAbortedWithTheirEvents() {
        await().atMost(Duration.ofSeconds(30)).until(() -> status(UNKNOWN_INSTANCE_STUCK).equals("aborted")
                && status(OTHER_INSTANCE_STUCK).equals("aborted") && status(OWN_LEFTOVER).equals("aborted"));

        for (UUID id : List.of(OWN_LEFTOVER, OTHER_INSTANCE_STUCK, UNKNOWN_INSTANCE_STUCK)) {
            Map<String, Object> row = JDBI.withHandle(h -> h.createQuery("SELECT error_message, http_status, "
                    + "total_tokens, cost, completed_at FROM request_history WHERE id = :id").bind("id", id).mapToMap().one());
            assertThat(row.get("error_message")).isEqualTo("the gateway stopped before the request finished");
            assertThat(row.get("http_status")).isEqualTo(0);
            assertThat(row.get("total_tokens")).isEqualTo(0L);
            assertThat(row.get("completed_at")).isNotNull();
            // The usage event that makes analytics count it, written in the same transaction and published.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(EVENTS.about(id))
                    .extracting(e -> e.path("eventType").asText()).contains("ai_request", "performance"));
            List<JsonNode> events = EVENTS.about(id);
            JsonNode usage = events.stream().filter(e -> e.path("eventType").asText().equals("ai_request"))
                    .findFirst().orElseThrow();
            assertThat(usage.path("properties").path("status").asText()).isEqualTo("aborted");
            assertThat(usage.path("userId").asText()).isEqualTo("user-" + id);
            assertThat(usage.path("metadata").path("historyId").asText()).isEqualTo(id.toString());
        }
    }

    @Test
    void anotherInstancesRequestsInFlightAndFinishedRowsAreLeftAlone() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> status(OWN_LEFTOVER).equals("aborted"));
        // Several sweeps later the other instance's young request is still its own business.
        Thread.sleep(2500);
        assertThat(status(OTHER_INSTANCE_IN_FLIGHT)).isEqualTo("pending");
        assertThat(EVENTS.about(OTHER_INSTANCE_IN_FLIGHT)).isEmpty();
        assertThat(status(OWN_FINISHED)).isEqualTo("success");
        assertThat(EVENTS.about(OWN_FINISHED)).isEmpty();
    }

    @Test
    void requestsServedAfterTheStartRecordTheirInstance() throws Exception {
        String key = new ApiKeys(Jdbi.create(DB::connect).installPlugin(new SqlObjectPlugin())
                .onDemand(ApiKeyDao.class)).create("dora", "test", false).plaintext();
        GatewayClient client = new GatewayClient(APP::getLocalPort, MAPPER);
        var response = client.chat(key, "{\"model\":\"mock-1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(response.statusCode()).isEqualTo(200);
        String id = response.headers().firstValue("X-Request-Id").orElseThrow();
        String instance = JDBI.withHandle(h -> h.createQuery("SELECT gateway_instance FROM request_history WHERE id = :id")
                .bind("id", UUID.fromString(id)).mapTo(String.class).one());
        assertThat(instance).isEqualTo(INSTANCE);
    }

    private static void insertPending(UUID id, String instance, Instant createdAt) {
        JDBI.useHandle(h -> h.createUpdate("INSERT INTO request_history (id, created_at, user_id, provider, model, "
                        + "request_type, stream, status, request_data, gateway_instance) VALUES (:id, :createdAt, :user, "
                        + "'mock', 'mock-1', 'chat.completion', false, 'pending', CAST(:request AS jsonb), :instance)")
                .bind("id", id)
                .bind("createdAt", OffsetDateTime.ofInstant(createdAt, ZoneOffset.UTC))
                .bind("user", "user-" + id)
                .bind("request", "{\"model\":\"mock-1\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")
                .bind("instance", instance)
                .execute());
    }

    private static String status(UUID id) {
        return JDBI.withHandle(h -> h.createQuery("SELECT status FROM request_history WHERE id = :id")
                .bind("id", id).mapTo(String.class).one());
    }
}
