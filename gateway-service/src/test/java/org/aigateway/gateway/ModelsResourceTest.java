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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.aigateway.gateway.OpenAiErrorAssert.assertOpenAiError;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /v1/models}: the configured models in OpenAI's list format, for any valid key. */
@ExtendWith(DropwizardExtensionsSupport.class)
class ModelsResourceTest {
    // Both are dropped at JVM exit; an @AfterAll would run before the extension stops the app that uses them.
    private static final TestDatabase DB = TestDatabase.migrated("gateway", GatewayApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("gateway");
    private static final Jdbi JDBI = Jdbi.create(DB::connect)
            .installPlugin(new SqlObjectPlugin())
            .installPlugin(new PostgresPlugin());

    private static final DropwizardAppExtension<GatewayConfiguration> APP = new DropwizardAppExtension<>(
            GatewayApplication.class,
            ResourceHelpers.resourceFilePath("test-gateway.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", VHOST::uri));

    private static GatewayClient client;
    private static String key;

    @BeforeAll
    static void createKey() {
        client = new GatewayClient(APP::getLocalPort, APP.getObjectMapper());
        key = new ApiKeys(JDBI.onDemand(ApiKeyDao.class)).create("carol", null, false).plaintext();
    }

    @Test
    void listNamesEveryConfiguredModelWithItsProvider() {
        HttpResponse<String> response = get("/v1/models", key);

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = client.json(response);
        assertThat(fieldNames(body)).containsExactly("object", "data");
        assertThat(body.path("object").asText()).isEqualTo("list");
        assertThat(body.path("data")).hasSize(2);
        JsonNode mock = body.path("data").get(0);
        JsonNode remote = body.path("data").get(1);
        assertThat(mock.path("id").asText()).isEqualTo("mock-1");
        assertThat(mock.path("owned_by").asText()).isEqualTo("mock");
        assertThat(remote.path("id").asText()).isEqualTo("remote-1");
        assertThat(remote.path("owned_by").asText()).isEqualTo("upstream");
        for (JsonNode model : body.path("data")) {
            assertThat(fieldNames(model)).containsExactlyInAnyOrder("id", "object", "created", "owned_by");
            assertThat(model.path("object").asText()).isEqualTo("model");
            assertThat(model.path("created").isIntegralNumber()).isTrue();
            assertThat(Instant.ofEpochSecond(model.path("created").asLong())).isBefore(Instant.now().plusSeconds(1));
        }
    }

    @Test
    void createdStaysTheSameAcrossRequests() {
        long first = client.json(get("/v1/models", key)).path("data").get(0).path("created").asLong();
        long again = client.json(get("/v1/models/mock-1", key)).path("created").asLong();

        assertThat(again).isEqualTo(first);
    }

    @Test
    void oneModelById() {
        HttpResponse<String> response = get("/v1/models/remote-1", key);

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode model = client.json(response);
        assertThat(fieldNames(model)).containsExactlyInAnyOrder("id", "object", "created", "owned_by");
        assertThat(model.path("id").asText()).isEqualTo("remote-1");
        assertThat(model.path("object").asText()).isEqualTo("model");
        assertThat(model.path("owned_by").asText()).isEqualTo("upstream");
    }

    @Test
    void unknownModelIsNotFoundInOpenAiShape() {
        JsonNode error = assertOpenAiError(client, get("/v1/models/gpt-nonexistent", key), 404);

        assertThat(error.path("code").asText()).isEqualTo("model_not_found");
        assertThat(error.path("param").asText()).isEqualTo("model");
        assertThat(error.path("message").asText()).contains("gpt-nonexistent");
    }

    @Test
    void modelIdWithSlashesIsLookedUpWhole() {
        JsonNode error = assertOpenAiError(client, get("/v1/models/vendor/mock-1", key), 404);

        assertThat(error.path("code").asText()).isEqualTo("model_not_found");
    }

    @Test
    void missingOrUnknownKeyIsUnauthorized() {
        assertOpenAiError(client, client.send(client.request("/v1/models").GET()), 401);
        assertOpenAiError(client, get("/v1/models", "sk-gw-not-a-real-key"), 401);
        assertOpenAiError(client, client.send(client.request("/v1/models/mock-1").GET()), 401);
    }

    private static HttpResponse<String> get(String path, String bearer) {
        return client.send(client.request(path).header("Authorization", "Bearer " + bearer).GET());
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
