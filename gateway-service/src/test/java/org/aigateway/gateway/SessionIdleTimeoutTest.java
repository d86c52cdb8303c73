package org.aigateway.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import org.aigateway.gateway.auth.ApiKeyDao;
import org.aigateway.gateway.auth.ApiKeys;
import org.aigateway.support.testing.TestDatabase;
import org.aigateway.support.testing.TestVhost;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The running gateway ends idle sessions by itself, with a session idle timeout of one second. */
@ExtendWith(DropwizardExtensionsSupport.class)
class SessionIdleTimeoutTest {
    private static final TestDatabase DB = TestDatabase.migrated("gateway", GatewayApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("gateway");
    private static final Jdbi JDBI = Jdbi.create(DB::connect).installPlugin(new SqlObjectPlugin());

    private static final DropwizardAppExtension<GatewayConfiguration> APP = new DropwizardAppExtension<>(
            GatewayApplication.class,
            ResourceHelpers.resourceFilePath("test-gateway-idle-sessions.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", VHOST::uri));

    private static final String HELLO = """
            {"model": "mock-1", "messages": [{"role": "user", "content": "Hello there"}]}""";

    private static GatewayClient client;
    private static String key;

    @BeforeAll
    static void setUp() {
        client = new GatewayClient(APP::getLocalPort, APP.getObjectMapper());
        key = new ApiKeys(JDBI.onDemand(ApiKeyDao.class)).create("user-" + UUID.randomUUID(), null, false).plaintext();
    }

    @Test
    void anIdleSessionEndsAsOfItsLastRequestAndTheNextRequestReopensIt() {
        String session = "idle-" + UUID.randomUUID();
        chat(session);
        chat(session);
        Instant[] seenEnded = new Instant[1];

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    seenEnded[0] = Instant.now();
                    return session(session).path("status").asText().equals("ended");
                });

        JsonNode ended = session(session);
        Instant started = Instant.parse(ended.path("started_at").asText());
        Instant last = Instant.parse(ended.path("last_request_at").asText());
        assertThat(ended.path("ended_at").asText()).isEqualTo(ended.path("last_request_at").asText());
        assertThat(last).isAfter(started);
        assertThat(Duration.between(last, seenEnded[0])).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(ended.path("duration_ms").asLong()).isEqualTo(Duration.between(started, last).toMillis());
        assertThat(ended.path("total_requests").asLong()).isEqualTo(2);
        assertThat(APP.getEnvironment().metrics().meter("sessions.ended-idle").getCount()).isPositive();

        chat(session);

        JsonNode reopened = session(session);
        assertThat(reopened.path("status").asText()).isEqualTo("active");
        assertThat(reopened.path("ended_at").isNull()).isTrue();
        assertThat(reopened.path("total_requests").asLong()).isEqualTo(3);
        assertThat(reopened.path("started_at")).isEqualTo(ended.path("started_at"));
    }

    private static void chat(String session) {
        HttpResponse<String> response = client.send(client.request("/v1/chat/completions")
                .header("Authorization", "Bearer " + key)
                .header("X-Session-Id", session)
                .POST(HttpRequest.BodyPublishers.ofString(HELLO)));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    private static JsonNode session(String session) {
        HttpResponse<String> response = client.send(client.request("/v1/sessions/" + session)
                .header("Authorization", "Bearer " + key).GET());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return client.json(response);
    }
}
