package org.aigateway.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.DropwizardTestSupport;
import io.dropwizard.testing.ResourceHelpers;
import jakarta.ws.rs.client.Client;
import jakarta.ws.rs.client.ClientBuilder;
import jakarta.ws.rs.core.Response;
import org.aigateway.support.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;

import static org.assertj.core.api.Assertions.assertThat;

/** The service started while RabbitMQ cannot be reached: it still runs, and says the broker is down. */
class BrokerUnreachableTest {
    private static final TestDatabase DB = TestDatabase.create("analytics");
    private static final DropwizardTestSupport<AnalyticsConfiguration> APP = new DropwizardTestSupport<>(
            AnalyticsApplication.class,
            ResourceHelpers.resourceFilePath("test-analytics.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", "amqp://guest:guest@127.0.0.1:" + closedPort() + "/%2f"));

    private static Client client;

    @BeforeAll
    static void start() throws Exception {
        APP.before();
        client = ClientBuilder.newClient();
    }

    @AfterAll
    static void stop() {
        client.close();
        APP.after();
        DB.close();
    }

    @Test
    void healthcheckReportsBrokerDownAndDatabaseUp() throws Exception {
        try (Response response = client.target("http://localhost:" + APP.getAdminPort() + "/healthcheck")
                .request()
                .get()) {
            assertThat(response.getStatus()).isEqualTo(500);
            JsonNode checks = APP.getObjectMapper().readTree(response.readEntity(String.class));
            assertThat(checks.path("rabbitmq").path("healthy").asBoolean()).isFalse();
            assertThat(checks.path("postgresql").path("healthy").asBoolean()).isTrue();
        }
    }

    private static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free local port", e);
        }
    }
}
