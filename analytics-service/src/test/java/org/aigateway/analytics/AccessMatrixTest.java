package org.aigateway.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import jakarta.ws.rs.client.Entity;
import jakarta.ws.rs.client.Invocation;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.aigateway.analytics.events.IncomingEvent;
import org.aigateway.analytics.events.IngestDao;
import org.aigateway.contracts.EventJson;
import org.aigateway.contracts.UsageEvent;
import org.aigateway.support.testing.TestDatabase;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Who may call what on the analytics service: every endpoint with no token, a wrong token, a gateway API key and the
 * right token, against {@link #MATRIX}. The admin tasks exist on the admin port only.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class AccessMatrixTest {
    private static final TestDatabase DB = TestDatabase.migrated("analytics", AnalyticsApplication.CHANGELOG);
    private static final DropwizardAppExtension<AnalyticsConfiguration> APP = new DropwizardAppExtension<>(
            AnalyticsApplication.class,
            ResourceHelpers.resourceFilePath("test-analytics.yml"),
            ConfigOverride.config("database.url", DB::url),
            // Reading needs no broker; nothing listens there.
            ConfigOverride.config("rabbitmq.uri", "amqp://guest:guest@127.0.0.1:" + closedPort() + "/%2f"),
            ConfigOverride.config("logging.level", "ERROR"));

    /**
     * Expected status per caller. "admin:" rows go to the admin port, which has no authentication of its own and
     * must never be exposed; its tasks are not reachable on the API port with any token.
     */
    private static final String MATRIX = """
            | request                                          | no token | wrong token | gateway key | token |
            |--------------------------------------------------|----------|-------------|-------------|-------|
            | GET /v1/analytics/users/matrix-user              | 401      | 401         | 401         | 200   |
            | GET /v1/analytics/users/matrix-user/usage        | 401      | 401         | 401         | 200   |
            | GET /v1/analytics/usage                          | 401      | 401         | 401         | 200   |
            | GET /v1/analytics/usage?groupBy=user             | 401      | 401         | 401         | 200   |
            | GET /v1/analytics/performance                    | 401      | 401         | 401         | 200   |
            | GET /v1/analytics/events                         | 401      | 401         | 401         | 200   |
            | GET /v1/analytics/events?access_token=TOKEN      | 401      | 401         | 401         | 200   |
            | POST /tasks/replay-dlq?queue=all                 | 404      | 404         | 404         | 404   |
            | POST /tasks/rebuild-aggregates                   | 404      | 404         | 404         | 404   |
            | GET /healthcheck                                 | 404      | 404         | 404         | 404   |
            | admin: POST /tasks/rebuild-aggregates            | 200      | 200         | 200         | 200   |
            """;
    private static final List<String> CALLERS = List.of("no token", "wrong token", "gateway key", "token");

    /** One cell of the matrix. */
    record Access(String request, String caller, int status) {
        @Override
        public String toString() {
            return request + " with " + caller + " -> " + status;
        }
    }

    @BeforeAll
    static void seed() {
        Jdbi jdbi = Jdbi.create(DB::connect).installPlugin(new SqlObjectPlugin()).installPlugin(new PostgresPlugin());
        UsageEvent event = TestEvents.aiRequest("matrix-user", Instant.now(), "mock", "mock-1", "success", 3, 4,
                new BigDecimal("0.0001"), 50);
        new IngestDao(jdbi).ingest(List.of(new IncomingEvent(event,
                EventJson.newMapper().valueToTree(event.properties()), EventJson.newMapper().createObjectNode())));
    }

    static Stream<Access> matrix() {
        List<Access> cells = new ArrayList<>();
        MATRIX.lines().skip(2).forEach(line -> {
            String[] columns = line.split("\\|");
            for (int i = 0; i < CALLERS.size(); i++) {
                cells.add(new Access(columns[1].strip(), CALLERS.get(i), Integer.parseInt(columns[2 + i].strip())));
            }
        });
        return cells.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("matrix")
    void callerGetsExactlyTheAccessInTheMatrix(Access access) throws IOException {
        String token = APP.getConfiguration().getApiToken();
        boolean admin = access.request().startsWith("admin: ");
        String[] methodAndPath = access.request().replace("admin: ", "").split(" ", 2);
        // The token in the query string never counts, so only the header decides.
        String path = methodAndPath[1].replace("TOKEN", token);
        int port = admin ? APP.getAdminPort() : APP.getLocalPort();
        Invocation.Builder request = APP.client().target("http://127.0.0.1:" + port + path).request();
        String authorization = switch (access.caller()) {
            case "wrong token" -> "Bearer " + token + "x";
            case "gateway key" -> "Bearer sk-gw-" + "k".repeat(43);
            case "token" -> "Bearer " + token;
            default -> null;
        };
        if (authorization != null) {
            request.header(HttpHeaders.AUTHORIZATION, authorization);
        }

        try (Response response = methodAndPath[0].equals("POST") ? request.post(Entity.text("")) : request.get()) {
            String body = response.readEntity(String.class);
            assertThat(response.getStatus()).as("%s: %s", access, body).isEqualTo(access.status());
            if (access.status() >= 400) {
                JsonNode error = APP.getObjectMapper().readTree(body).path("error");
                List<String> fields = new ArrayList<>();
                error.fieldNames().forEachRemaining(fields::add);
                assertThat(fields).containsExactlyInAnyOrder("message", "type", "param", "code");
                assertThat(error.path("type").asText())
                        .isEqualTo(access.status() == 401 ? "authentication_error" : "not_found_error");
                assertThat(body).doesNotContain("matrix-user", token);
            }
            if (access.status() == 401) {
                assertThat(response.getHeaderString(HttpHeaders.WWW_AUTHENTICATE)).startsWith("Bearer");
            }
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
