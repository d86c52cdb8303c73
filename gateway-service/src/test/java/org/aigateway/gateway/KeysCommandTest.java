package org.aigateway.gateway;

import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import org.aigateway.support.testing.TestDatabase;
import org.aigateway.support.testing.TestVhost;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code keys} command through the real command line, against the database a running gateway uses. */
@ExtendWith(DropwizardExtensionsSupport.class)
class KeysCommandTest {
    // Both are dropped at JVM exit; an @AfterAll would run before the extension stops the app that uses them.
    private static final TestDatabase DB = TestDatabase.migrated("gateway", GatewayApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("gateway");
    private static final Jdbi JDBI = Jdbi.create(DB::connect);

    private static final DropwizardAppExtension<GatewayConfiguration> APP = new DropwizardAppExtension<>(
            GatewayApplication.class,
            ResourceHelpers.resourceFilePath("test-gateway.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", VHOST::uri));

    private static final String KEY_PATTERN = "sk-gw-[A-Za-z0-9_-]{43}";

    @TempDir
    static Path configDir;
    private static String config;
    private static GatewayClient client;

    @BeforeAll
    static void writeConfig() throws Exception {
        config = GatewayCli.writeConfig(configDir, DB).toString();
        client = new GatewayClient(APP::getLocalPort, APP.getObjectMapper());
    }

    @Test
    void createPrintsTheKeyAloneAndStoresOnlyItsHash() throws Exception {
        String stdout = GatewayCli.runForStdout("keys", "create", "--user", "alice", config);

        assertThat(stdout).matches(KEY_PATTERN + "\\R");
        String key = stdout.strip();
        Map<String, Object> row = JDBI.withHandle(handle -> handle.createQuery(
                        "SELECT key_hash, key_prefix, is_admin, revoked_at FROM api_keys WHERE user_id = 'alice'")
                .mapToMap()
                .one());
        assertThat(row).containsEntry("key_hash", sha256Hex(key))
                .containsEntry("key_prefix", key.substring(0, 14))
                .containsEntry("is_admin", false)
                .containsEntry("revoked_at", null);
        assertThat(rowsMentioning(key)).isZero();
        assertThat(rowsMentioning(key.substring(14))).isZero();
    }

    @Test
    void createdKeyAuthenticatesAndAdminFlagGrantsReadingEveryonesHistory() throws Exception {
        String owner = GatewayCli.runForStdout("keys", "create", "--user", "owner", config).strip();
        String admin = GatewayCli.runForStdout("keys", "create", "--user", "root", "--admin", "--name", "ops", config)
                .strip();
        String other = GatewayCli.runForStdout("keys", "create", "--user", "other", config).strip();

        HttpResponse<String> chat = client.chat(owner, """
                {"model": "mock-1", "messages": [{"role": "user", "content": "hi"}]}""");
        assertThat(chat.statusCode()).isEqualTo(200);
        String historyId = chat.headers().firstValue("X-Request-Id").orElseThrow();

        boolean adminFlag = JDBI.withHandle(handle -> handle.createQuery(
                        "SELECT is_admin FROM api_keys WHERE user_id = 'root' AND name = 'ops'")
                .mapTo(Boolean.class)
                .one());
        assertThat(adminFlag).isTrue();
        assertThat(client.history(owner, historyId).statusCode()).isEqualTo(200);
        assertThat(client.history(admin, historyId).statusCode()).isEqualTo(200);
        assertThat(client.history(other, historyId).statusCode()).isEqualTo(404);
    }

    @Test
    void listShowsPrefixesButNeverKeys() throws Exception {
        String first = GatewayCli.runForStdout("keys", "create", "--user", "lister", config).strip();
        String second = GatewayCli.runForStdout("keys", "create", "--user", "lister", "--admin", config).strip();
        String stranger = GatewayCli.runForStdout("keys", "create", "--user", "stranger", config).strip();

        String listing = GatewayCli.runForStdout("keys", "list", "--user", "lister", config);

        assertThat(listing.lines()).hasSize(3);
        assertThat(listing.lines().findFirst()).hasValueSatisfying(header ->
                assertThat(header).contains("ID", "PREFIX", "USER", "ADMIN", "STATUS"));
        assertThat(listing).contains(first.substring(0, 14), second.substring(0, 14))
                .doesNotContain(first, second, first.substring(14, 30), second.substring(14, 30))
                .doesNotContain(stranger.substring(0, 14));
        assertThat(GatewayCli.runForStdout("keys", "list", config)).contains(stranger.substring(0, 14));
    }

    @Test
    void revokedKeyStopsAuthenticating() throws Exception {
        String key = GatewayCli.runForStdout("keys", "create", "--user", "leaver", config).strip();
        String unknownRecord = UUID.randomUUID().toString();
        // An authenticated caller asking for a record that does not exist gets 404; an unauthenticated one 401.
        assertThat(client.history(key, unknownRecord).statusCode()).isEqualTo(404);

        String stdout = GatewayCli.runForStdout("keys", "revoke", "--key", key.substring(0, 14), config);

        assertThat(stdout).isEqualTo("revoked 1 key(s)" + System.lineSeparator());
        // The running gateway remembers verified keys for authenticationCachePolicy (1 s in the test config).
        await().atMost(Duration.ofSeconds(5))
                .until(() -> client.history(key, unknownRecord).statusCode() == 401);
        boolean revoked = JDBI.withHandle(handle -> handle.createQuery(
                        "SELECT revoked_at IS NOT NULL FROM api_keys WHERE user_id = 'leaver'")
                .mapTo(Boolean.class)
                .one());
        assertThat(revoked).isTrue();
        assertThat(GatewayCli.runForStdout("keys", "list", "--user", "leaver", config)).contains("revoked");
    }

    @Test
    void createWithoutUserFailsAndStoresNothing() {
        long before = keyCount();

        assertThatThrownBy(() -> GatewayCli.runForStdout("keys", "create", config))
                .isInstanceOf(GatewayCli.CommandFailed.class)
                .hasMessageContaining("--user");
        assertThat(keyCount()).isEqualTo(before);
    }

    @Test
    void revokingAnUnknownKeyFails() {
        assertThatThrownBy(() -> GatewayCli.runForStdout("keys", "revoke", "--key", "sk-gw-nothere", config))
                .isInstanceOf(GatewayCli.CommandFailed.class)
                .hasMessageContaining("no active key");
    }

    private static long keyCount() {
        return JDBI.withHandle(handle -> handle.createQuery("SELECT count(*) FROM api_keys").mapTo(Long.class).one());
    }

    /** Rows of api_keys whose text, all columns together, contains {@code text}. */
    private static long rowsMentioning(String text) {
        return JDBI.withHandle(handle -> handle.createQuery(
                        "SELECT count(*) FROM api_keys k WHERE position(:text IN row_to_json(k)::text) > 0")
                .bind("text", text)
                .mapTo(Long.class)
                .one());
    }

    private static String sha256Hex(String text) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest);
    }
}
