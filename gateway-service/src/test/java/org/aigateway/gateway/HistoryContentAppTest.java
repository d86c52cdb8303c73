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

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** What the running gateway stores of requests and responses with {@code history.content} metadata or redacted. */
@ExtendWith(DropwizardExtensionsSupport.class)
class HistoryContentAppTest {
    // Both are dropped at JVM exit; an @AfterAll would run before the extension stops the apps that use them.
    private static final TestDatabase DB = TestDatabase.migrated("gateway", GatewayApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("gateway");
    private static final Jdbi JDBI = Jdbi.create(DB::connect).installPlugin(new SqlObjectPlugin());

    // Each app reads its overrides under its own system property prefix: with the shared default prefix, the second
    // app's overrides would be restored over the first's at shutdown and leak into later test classes.
    private static final DropwizardAppExtension<GatewayConfiguration> METADATA = new DropwizardAppExtension<>(
            GatewayApplication.class,
            ResourceHelpers.resourceFilePath("test-gateway.yml"),
            "metadata",
            ConfigOverride.config("metadata", "database.url", DB::url),
            ConfigOverride.config("metadata", "rabbitmq.uri", VHOST::uri),
            ConfigOverride.config("metadata", "history.content", "metadata"));

    private static final DropwizardAppExtension<GatewayConfiguration> REDACTED = new DropwizardAppExtension<>(
            GatewayApplication.class,
            ResourceHelpers.resourceFilePath("test-gateway.yml"),
            "redacted",
            ConfigOverride.config("redacted", "database.url", DB::url),
            ConfigOverride.config("redacted", "rabbitmq.uri", VHOST::uri),
            ConfigOverride.config("redacted", "history.content", "redacted"),
            ConfigOverride.config("redacted", "history.maxStoredBytes", "2KiB"));

    private static final String PRIVATE = """
            {"model": "mock-1", "temperature": 0.5, "user": "jane.doe@example.com",
             "messages": [{"role": "system", "content": "Answer briefly."},
                          {"role": "user", "content": "Mail jane.doe@example.com, card 4111 1111 1111 1111"}]}""";

    private static GatewayClient metadataGateway;
    private static GatewayClient redactedGateway;
    private static String key;

    @BeforeAll
    static void setUp() {
        metadataGateway = new GatewayClient(METADATA::getLocalPort, METADATA.getObjectMapper());
        redactedGateway = new GatewayClient(REDACTED::getLocalPort, REDACTED.getObjectMapper());
        key = new ApiKeys(JDBI.onDemand(ApiKeyDao.class)).create("user-" + UUID.randomUUID(), null, false).plaintext();
    }

    @Test
    void metadataStoresTheShapeAndNumbersButNoText() {
        HttpResponse<String> response = metadataGateway.chat(key, PRIVATE);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode answer = metadataGateway.json(response);

        Map<String, Object> row = storedRow(response);

        assertThat((String) row.get("request")).doesNotContain("jane", "4111", "Answer", "Mail");
        assertThat((String) row.get("response")).doesNotContain("jane", "4111", "mock reply");
        JsonNode request = storedJson(row, "request");
        assertThat(request.path("model").asText()).isEqualTo("mock-1");
        assertThat(request.path("parameters").path("temperature").asDouble()).isEqualTo(0.5);
        assertThat(request.path("message_count").asInt()).isEqualTo(2);
        assertThat(request.path("messages").get(0).path("role").asText()).isEqualTo("system");
        assertThat(request.path("messages").get(0).path("content_chars").asInt()).isEqualTo(15);
        assertThat(request.path("messages").get(1).path("role").asText()).isEqualTo("user");
        assertThat(request.path("messages").get(1).path("content_chars").asInt()).isEqualTo(51);
        JsonNode storedResponse = storedJson(row, "response");
        assertThat(storedResponse.path("usage")).isEqualTo(answer.path("usage"));
        assertThat(storedResponse.path("choices").get(0).path("content_chars").asInt())
                .isEqualTo(answer.path("choices").get(0).path("message").path("content").asText().length());
        assertThat(storedResponse.path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
        JsonNode record = metadataGateway.json(metadataGateway.history(key, id(response)));
        assertThat(record.path("request")).isEqualTo(request);
        assertThat(record.path("response")).isEqualTo(storedResponse);
    }

    @Test
    void redactedStoresTheTextWithAddressesAndCardNumbersBlanked() {
        HttpResponse<String> response = redactedGateway.chat(key, PRIVATE);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode answer = redactedGateway.json(response);

        Map<String, Object> row = storedRow(response);

        // The client gets its answer unchanged; only what is stored is redacted.
        assertThat(answer.path("choices").get(0).path("message").path("content").asText())
                .isEqualTo("This is a mock reply to: Mail jane.doe@example.com, card 4111 1111 1111 1111");
        JsonNode request = storedJson(row, "request");
        JsonNode storedResponse = storedJson(row, "response");
        assertThat(request.path("user").asText()).isEqualTo("[REDACTED]");
        assertThat(request.path("messages").get(0).path("content").asText()).isEqualTo("Answer briefly.");
        assertThat(request.path("messages").get(1).path("content").asText())
                .isEqualTo("Mail [REDACTED], card [REDACTED]");
        assertThat(storedResponse.path("choices").get(0).path("message").path("content").asText())
                .isEqualTo("This is a mock reply to: Mail [REDACTED], card [REDACTED]");
        assertThat(storedResponse.path("usage")).isEqualTo(answer.path("usage"));
        assertThat((String) row.get("request") + row.get("response")).doesNotContain("jane", "4111");
    }

    @Test
    void aBodyStoredLargerThanTheLimitKeepsItsMetadataMarkedTruncated() {
        // Text with nothing to redact, so it stays larger than the limit.
        String longText = "word ".repeat(600);
        HttpResponse<String> response = redactedGateway.chat(key, """
                {"model": "mock-1", "messages": [{"role": "user", "content": "%s"}]}""".formatted(longText));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);

        Map<String, Object> row = storedRow(response);

        JsonNode request = storedJson(row, "request");
        JsonNode storedResponse = storedJson(row, "response");
        assertThat(request.path("truncated").asBoolean()).isTrue();
        assertThat(request.path("original_bytes").asLong()).isGreaterThan(2048);
        assertThat(request.path("messages").get(0).path("content_chars").asInt()).isEqualTo(longText.length());
        assertThat(storedResponse.path("truncated").asBoolean()).isTrue();
        assertThat(storedResponse.path("usage").path("total_tokens").asLong()).isPositive();
        assertThat(((String) row.get("request")).getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(2048);
        assertThat((String) row.get("request") + row.get("response")).doesNotContain("word");
    }

    private static String id(HttpResponse<String> response) {
        return response.headers().firstValue("X-Request-Id").orElseThrow();
    }

    private static Map<String, Object> storedRow(HttpResponse<String> response) {
        return JDBI.withHandle(handle -> handle.createQuery("SELECT request_data::text AS request, "
                        + "response_data::text AS response FROM request_history WHERE id = CAST(:id AS uuid)")
                .bind("id", id(response))
                .mapToMap()
                .one());
    }

    private static JsonNode storedJson(Map<String, Object> row, String column) {
        String json = (String) row.get(column);
        assertThat(json).as(column).isNotNull();
        try {
            return METADATA.getObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new AssertionError("stored " + column + " is not JSON: " + json, e);
        }
    }
}
