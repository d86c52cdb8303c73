package org.aigateway.gateway;

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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * API keys never reach a log or the database in plaintext: a gateway run at DEBUG that sees valid, unknown,
 * revoked and misplaced keys (in headers, in the query string, in a malformed header) and the keys command, with
 * every line the application and request logs wrote searched for each key, its secret part and its SHA-256.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class NoSecretsInLogsTest {
    // Installed before the application starts, so every log line of this class's gateway is seen.
    private static final StderrCapture STDERR = StderrCapture.install();
    private static final TestDatabase DB = TestDatabase.migrated("gateway", GatewayApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("gateway");
    private static final Jdbi JDBI = Jdbi.create(DB::connect)
            .installPlugin(new SqlObjectPlugin())
            .installPlugin(new PostgresPlugin());

    // The keys command configures logging for the whole JVM, so it runs before the application configures its own.
    private static final String FROM_COMMAND = createAndRevokeWithTheKeysCommand();

    private static final DropwizardAppExtension<GatewayConfiguration> APP = new DropwizardAppExtension<>(
            GatewayApplication.class,
            ResourceHelpers.resourceFilePath("test-gateway.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", VHOST::uri),
            // As an operator would to find a problem; the loggers pinned in the configuration must still hold.
            ConfigOverride.config("logging.level", "DEBUG"));

    private static final String HELLO = """
            {"model": "mock-1", "messages": [{"role": "user", "content": "Hello there"}]}""";

    @AfterAll
    static void restoreStderr() {
        STDERR.close();
    }

    @Test
    void noKeyNorItsHashAppearsInAnyLogOrInPlaintextAtRest() {
        ApiKeys keys = new ApiKeys(JDBI.onDemand(ApiKeyDao.class));
        String valid = keys.create("alice", "laptop", false).plaintext();
        String admin = keys.create("ops", null, true).plaintext();
        ApiKeys.Issued revoked = keys.create("alice", "old", false);
        keys.revoke(revoked.key().prefix());
        String unknown = "sk-gw-" + UUID.randomUUID().toString().replace("-", "") + "UNKNOWNkey";
        String fromCommand = FROM_COMMAND;
        List<String> secrets = List.of(valid, admin, revoked.plaintext(), unknown, fromCommand);
        GatewayClient client = new GatewayClient(APP::getLocalPort, APP.getObjectMapper());
        String marker = UUID.randomUUID().toString();

        assertThat(client.chat(valid, HELLO).statusCode()).isEqualTo(200);
        assertThat(client.chat(admin, HELLO).statusCode()).isEqualTo(200);
        assertThat(client.chat(valid, "{\"model\": ").statusCode()).isEqualTo(400);
        assertThat(client.chat(unknown, HELLO).statusCode()).isEqualTo(401);
        assertThat(client.chat(revoked.plaintext(), HELLO).statusCode()).isEqualTo(401);
        assertThat(client.chat(fromCommand, HELLO).statusCode()).isEqualTo(401);
        assertThat(get(client, "/v1/models?api_key=" + valid, null).statusCode()).isEqualTo(401);
        assertThat(get(client, "/v1/models?api_key=" + valid, valid).statusCode()).isEqualTo(200);
        assertThat(get(client, "/v1/history?access_token=" + admin, unknown).statusCode()).isEqualTo(401);
        assertThat(get(client, "/v1/history?api_key=" + revoked.plaintext(), revoked.plaintext()).statusCode())
                .isEqualTo(401);
        RawHttp.Response malformed = RawHttp.exchange(APP.getLocalPort(), ("GET /v1/models HTTP/1.1\r\nHost: x\r\n"
                + "Connection: close\r\nAuthorization: Bearer " + valid + "\u0001\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(get(client, "/v1/history/" + marker, valid).statusCode()).isEqualTo(404);

        // The request log is written once a response is done; the last request's line shows it has caught up.
        await().atMost(Duration.ofSeconds(10)).until(() -> STDERR.text().contains(marker));
        String logs = STDERR.text();
        assertThat(logs).contains("\"POST /v1/chat/completions HTTP/1.1\" 200", "\"POST /v1/chat/completions HTTP/1.1\" 401",
                "\"GET /v1/models HTTP/1.1\" 401", "\"GET /v1/history HTTP/1.1\" 401");
        for (String secret : secrets) {
            for (String form : forms(secret)) {
                assertThat(logs).as("logs must not hold %s", form).doesNotContain(form);
            }
        }

        List<Map<String, Object>> stored = JDBI.withHandle(h -> h.createQuery(
                "SELECT key_hash, key_prefix FROM api_keys").mapToMap().list());
        assertThat(stored).hasSize(4);
        List<String> hashes = new ArrayList<>();
        stored.forEach(row -> hashes.add(((String) row.get("key_hash")).strip()));
        assertThat(hashes).contains(sha256(valid), sha256(admin), sha256(revoked.plaintext()), sha256(fromCommand));
        for (String table : JDBI.withHandle(h -> h.createQuery(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'").mapTo(String.class).list())) {
            List<String> rows = JDBI.withHandle(h -> h.createQuery("SELECT t::text FROM \"" + table + "\" t")
                    .mapTo(String.class).list());
            String everything = String.join("\n", rows);
            for (String secret : secrets) {
                assertThat(everything).as("table %s must not hold a key", table).doesNotContain(secret)
                        .doesNotContain(secret.substring(14));
            }
        }
    }

    private static String createAndRevokeWithTheKeysCommand() {
        try {
            Path config = GatewayCli.writeConfig(Files.createTempDirectory("keys-command"), DB);
            String key = GatewayCli.runForStdout("keys", "create", "--user", "carol", config.toString()).strip();
            GatewayCli.runForStdout("keys", "list", config.toString());
            GatewayCli.runForStdout("keys", "revoke", "--key", key.substring(0, 14), config.toString());
            return key;
        } catch (Exception e) {
            throw new IllegalStateException("the keys command failed", e);
        }
    }

    private static HttpResponse<String> get(GatewayClient client, String pathAndQuery, String key) {
        HttpRequest.Builder request = client.request(pathAndQuery).GET();
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        return client.send(request);
    }

    /** The key, its secret part (all but the display prefix), and its SHA-256 as stored. */
    private static List<String> forms(String key) {
        return List.of(key, key.substring("sk-gw-".length()), key.substring(14), sha256(key));
    }

    private static String sha256(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
