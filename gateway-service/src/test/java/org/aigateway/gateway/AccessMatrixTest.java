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
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.aigateway.gateway.OpenAiErrorAssert.assertOpenAiError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Who may call what: every endpoint of the gateway with no key, a user's key (alice), another user's key (bob) and
 * an admin key, against {@link #MATRIX}. Alice owns the records and the session the rows name.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class AccessMatrixTest {
    private static final TestDatabase DB = TestDatabase.migrated("gateway", GatewayApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("gateway");
    private static final Jdbi JDBI = Jdbi.create(DB::connect)
            .installPlugin(new SqlObjectPlugin())
            .installPlugin(new PostgresPlugin());

    private static final DropwizardAppExtension<GatewayConfiguration> APP = new DropwizardAppExtension<>(
            GatewayApplication.class,
            ResourceHelpers.resourceFilePath("test-gateway.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", VHOST::uri),
            ConfigOverride.config("logging.level", "WARN"));

    private static final String HELLO = """
            {"model": "mock-1", "messages": [{"role": "user", "content": "Hello there"}]}""";

    /**
     * Expected status per caller. {aliceRow} is a history record of alice's, {aliceSession} a session of hers.
     * "admin:" rows go to the admin port, which has no authentication of its own and must never be exposed.
     * An admin names another user's session with ?userId=; without it, the session id is looked up among the
     * admin's own. Rows marked todo are not run.
     */
    private static final String MATRIX = """
            | request                                  | no key | alice | bob | admin | state |
            |------------------------------------------|--------|-------|-----|-------|-------|
            | POST /v1/chat/completions                | 401    | 200   | 200 | 200   | live  |
            | POST /chat/completions                   | 401    | 200   | 200 | 200   | live  |
            | GET /v1/models                           | 401    | 200   | 200 | 200   | live  |
            | GET /v1/models/mock-1                    | 401    | 200   | 200 | 200   | live  |
            | GET /v1/history                          | 401    | 200   | 200 | 200   | live  |
            | GET /v1/history?userId=alice             | 401    | 200   | 403 | 200   | live  |
            | GET /v1/history/{aliceRow}               | 401    | 200   | 404 | 200   | live  |
            | POST /tasks/gc                           | 404    | 404   | 404 | 404   | live  |
            | POST /tasks/log-level                    | 404    | 404   | 404 | 404   | live  |
            | GET /healthcheck                         | 404    | 404   | 404 | 404   | live  |
            | GET /metrics                             | 404    | 404   | 404 | 404   | live  |
            | admin: POST /tasks/gc                    | 200    | 200   | 200 | 200   | live  |
            | GET /v1/sessions                         | 401    | 200   | 200 | 200   | live  |
            | GET /v1/sessions?userId=alice            | 401    | 200   | 403 | 200   | live  |
            | GET /v1/sessions/{aliceSession}          | 401    | 200   | 404 | 404   | live  |
            | GET /v1/sessions/{aliceSession}?userId=alice | 401 | 200  | 404 | 200   | live  |
            | POST /v1/sessions/{aliceSession}/end?userId=alice | 401 | 200 | 404 | 200 | live |
            | GET /v1/users/me/stats                   | 401    | 200   | 200 | 200   | live  |
            | GET /v1/users/alice/stats                | 401    | 403   | 403 | 200   | live  |
            """;
    private static final List<String> CALLERS = List.of("no key", "alice", "bob", "admin");

    private static final Map<String, String> KEYS = new HashMap<>();
    private static GatewayClient client;
    private static String aliceRow;

    /** One cell of the matrix. */
    record Access(String request, String caller, int status, boolean live) {
        @Override
        public String toString() {
            return request + " as " + caller + " -> " + status;
        }
    }

    @BeforeAll
    static void createKeysAndARecord() {
        client = new GatewayClient(APP::getLocalPort, APP.getObjectMapper());
        ApiKeys keys = new ApiKeys(JDBI.onDemand(ApiKeyDao.class));
        KEYS.put("alice", keys.create("alice", null, false).plaintext());
        KEYS.put("bob", keys.create("bob", null, false).plaintext());
        KEYS.put("admin", keys.create("ops", null, true).plaintext());
        HttpResponse<String> chat = client.send(client.request("/v1/chat/completions")
                .header("Authorization", "Bearer " + KEYS.get("alice"))
                .header("X-Session-Id", "planning-7")
                .POST(HttpRequest.BodyPublishers.ofString(HELLO)));
        assertThat(chat.statusCode()).isEqualTo(200);
        aliceRow = chat.headers().firstValue("X-Request-Id").orElseThrow();
    }

    static Stream<Access> matrix() {
        List<Access> cells = new ArrayList<>();
        MATRIX.lines().skip(2).forEach(line -> {
            String[] columns = line.split("\\|");
            for (int i = 0; i < CALLERS.size(); i++) {
                cells.add(new Access(columns[1].strip(), CALLERS.get(i), Integer.parseInt(columns[2 + i].strip()),
                        columns[6].strip().equals("live")));
            }
        });
        return cells.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("matrix")
    void callerGetsExactlyTheAccessInTheMatrix(Access access) {
        assumeTrue(access.live(), "todo: " + access.request());
        boolean admin = access.request().startsWith("admin: ");
        String[] methodAndPath = access.request().replace("admin: ", "").split(" ", 2);
        String path = methodAndPath[1].replace("{aliceRow}", aliceRow).replace("{aliceSession}", "planning-7");
        int port = admin ? APP.getAdminPort() : APP.getLocalPort();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(methodAndPath[0], methodAndPath[0].equals("POST")
                        ? HttpRequest.BodyPublishers.ofString(path.contains("completions") ? HELLO : "")
                        : HttpRequest.BodyPublishers.noBody());
        if (KEYS.containsKey(access.caller())) {
            request.header("Authorization", "Bearer " + KEYS.get(access.caller()));
        }

        HttpResponse<String> response = client.send(request);

        assertThat(response.statusCode()).as("%s: %s", access, response.body()).isEqualTo(access.status());
        if (access.status() >= 400) {
            JsonNode error = assertOpenAiError(client, response, access.status());
            String expectedType = switch (access.status()) {
                case 403 -> "permission_error";
                case 404 -> path.startsWith("/v1/") ? "invalid_request_error" : "not_found_error";
                default -> "invalid_request_error";
            };
            assertThat(error.path("type").asText()).isEqualTo(expectedType);
            // A refusal tells nothing about whose record it was.
            assertThat(response.body()).doesNotContain("alice");
        } else if (path.startsWith("/v1/history")) {
            JsonNode body = client.json(response);
            List<String> owners = new ArrayList<>();
            (body.has("data") ? body.path("data") : List.of(body)).forEach(row -> owners.add(row.path("user_id").asText()));
            if (!access.caller().equals("admin")) {
                assertThat(owners).allMatch(access.caller()::equals);
            }
            if (path.contains(aliceRow) || path.contains("userId=alice")) {
                assertThat(owners).containsOnly("alice");
            }
        }
    }
}
