package org.aigateway.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.dropwizard.auth.Auth;
import io.dropwizard.auth.PrincipalImpl;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.client.Invocation;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.aigateway.contracts.Topology;
import org.aigateway.support.testing.TestDatabase;
import org.aigateway.support.testing.TestVhost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The service booted against a real PostgreSQL and a real RabbitMQ vhost of its own. */
@ExtendWith(DropwizardExtensionsSupport.class)
class AnalyticsApplicationTest {
    // Both are dropped at JVM exit; an @AfterAll would run before the extension stops the app that uses them.
    private static final TestDatabase DB = TestDatabase.migrated("analytics", AnalyticsApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("analytics");

    private static final DropwizardAppExtension<AnalyticsConfiguration> APP = new DropwizardAppExtension<>(
            AnalyticsApplication.class,
            ResourceHelpers.resourceFilePath("test-analytics.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", VHOST::uri))
            .addListener(new DropwizardAppExtension.ServiceListener<>() {
                @Override
                public void onRun(AnalyticsConfiguration configuration, Environment environment,
                                  DropwizardAppExtension<AnalyticsConfiguration> app) {
                    // Echoes the principal, which no real endpoint returns, to show who the token authenticates as.
                    environment.jersey().register(new CallerResource());
                }
            });

    /** Answers with the authenticated caller. */
    @Path("/test/caller")
    @Produces(MediaType.APPLICATION_JSON)
    public static class CallerResource {
        @GET
        public Map<String, String> caller(@Auth PrincipalImpl caller) {
            return Map.of("caller", caller.getName());
        }
    }

    @Test
    void healthcheckReportsDatabaseAndBrokerHealthy() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(healthcheckStatus()).isEqualTo(200));

        JsonNode checks = json(admin("/healthcheck").get());
        assertThat(checks.path("postgresql").path("healthy").asBoolean()).isTrue();
        assertThat(checks.path("rabbitmq").path("healthy").asBoolean()).isTrue();
        for (String queue : Topology.WORK_QUEUES) {
            assertThat(checks.path("consumer:" + queue).path("healthy").asBoolean()).as(queue).isTrue();
        }
        assertThat(checks.path("dead-letter-queues").path("healthy").asBoolean()).isTrue();
    }

    @Test
    void pingAnswers() {
        Response response = admin("/ping").get();

        assertThat(response.getStatus()).isEqualTo(200);
        assertThat(response.readEntity(String.class)).contains("pong");
    }

    @Test
    void brokerTopologyIsDeclaredOnConnect() throws Exception {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(healthcheckStatus()).isEqualTo(200));

        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(VHOST.uri());
        try (Connection connection = factory.newConnection("analytics-service-test");
             Channel channel = connection.createChannel()) {
            channel.exchangeDeclarePassive(Topology.EXCHANGE);
            for (String queue : Topology.WORK_QUEUES) {
                channel.queueDeclarePassive(queue);
                channel.queueDeclarePassive(Topology.deadLetterQueue(queue));
                for (Duration delay : APP.getConfiguration().getConsumer().retryDelayDurations()) {
                    channel.queueDeclarePassive(Topology.retryQueue(queue, delay));
                }
                assertThat(channel.consumerCount(queue)).as(queue)
                        .isEqualTo(APP.getConfiguration().getConsumer().getWorkers());
            }
        }
    }

    @Test
    void requestWithoutTokenGets401InOpenAiShape() {
        Response response = api("/test/caller").get();

        assertThat(response.getStatus()).isEqualTo(401);
        assertThat(response.getHeaderString(HttpHeaders.WWW_AUTHENTICATE)).isEqualTo("Bearer realm=\"analytics-service\"");
        assertThat(response.getMediaType().isCompatible(MediaType.APPLICATION_JSON_TYPE)).isTrue();
        JsonNode error = json(response).path("error");
        assertThat(error.path("type").asText()).isEqualTo("authentication_error");
        assertThat(error.path("code").asText()).isEqualTo("invalid_api_key");
        assertThat(error.path("message").asText()).isNotBlank();
        assertThat(error.has("param")).isTrue();
    }

    @Test
    void wrongTokenGets401() {
        Response response = api("/test/caller").header(HttpHeaders.AUTHORIZATION, "Bearer not-the-token").get();

        assertThat(response.getStatus()).isEqualTo(401);
        assertThat(json(response).path("error").path("code").asText()).isEqualTo("invalid_api_key");
    }

    @Test
    void tokenInQueryStringIsNotAccepted() {
        Response response = APP.client()
                .target("http://localhost:" + APP.getLocalPort() + "/test/caller")
                .queryParam("access_token", APP.getConfiguration().getApiToken())
                .request()
                .get();

        assertThat(response.getStatus()).isEqualTo(401);
    }

    @Test
    void tokenWithAnotherSchemeIsNotAccepted() {
        Response response = api("/test/caller")
                .header(HttpHeaders.AUTHORIZATION, "Basic " + APP.getConfiguration().getApiToken())
                .get();

        assertThat(response.getStatus()).isEqualTo(401);
    }

    @Test
    void configuredBearerTokenAuthenticates() {
        Response response = api("/test/caller")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + APP.getConfiguration().getApiToken())
                .get();

        assertThat(response.getStatus()).isEqualTo(200);
        assertThat(json(response).path("caller").asText()).isEqualTo("analytics-api-client");
    }

    @Test
    void unknownPathGets404InOpenAiShape() {
        Response response = api("/v1/nothing-here").get();

        assertThat(response.getStatus()).isEqualTo(404);
        assertThat(json(response).path("error").path("type").asText()).isEqualTo("not_found_error");
    }

    private static int healthcheckStatus() {
        try (Response response = admin("/healthcheck").get()) {
            return response.getStatus();
        }
    }

    private static Invocation.Builder api(String path) {
        return APP.client().target("http://localhost:" + APP.getLocalPort() + path).request();
    }

    private static Invocation.Builder admin(String path) {
        return APP.client().target("http://localhost:" + APP.getAdminPort() + path).request();
    }

    private static JsonNode json(Response response) {
        try {
            return APP.getObjectMapper().readTree(response.readEntity(String.class));
        } catch (Exception e) {
            throw new AssertionError("response is not JSON", e);
        }
    }
}
