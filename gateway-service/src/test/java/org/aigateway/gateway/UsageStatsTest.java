package org.aigateway.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import org.aigateway.gateway.auth.ApiKeyDao;
import org.aigateway.gateway.auth.ApiKeys;
import org.aigateway.gateway.history.RequestHistoryDao;
import org.aigateway.gateway.stats.UsageStatsDao;
import org.aigateway.support.testing.TestDatabase;
import org.aigateway.support.testing.TestVhost;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.aigateway.gateway.OpenAiErrorAssert.assertOpenAiError;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /v1/users/me/stats} and {@code GET /v1/users/{userId}/stats}: usage computed from request history. */
@ExtendWith(DropwizardExtensionsSupport.class)
class UsageStatsTest {
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

    private static final List<String> MODELS = List.of("mock-1", "remote-1", "gpt-4o");
    private static final List<String> STATUSES = List.of("success", "success", "error", "cancelled", "aborted",
            "pending");
    private static final Instant MAY_FIRST = Instant.parse("2025-05-01T00:00:00Z");

    private static GatewayClient client;
    private static ApiKeys keys;
    private static RequestHistoryDao rows;
    private static String admin;

    @BeforeAll
    static void setUp() {
        client = new GatewayClient(APP::getLocalPort, APP.getObjectMapper());
        keys = new ApiKeys(JDBI.onDemand(ApiKeyDao.class));
        rows = JDBI.onDemand(RequestHistoryDao.class);
        admin = keys.create("ops-" + UUID.randomUUID(), "operator", true).plaintext();
    }

    @Test
    void statsEqualTheHistoryRowsSummedDirectly() {
        User user = newUser();
        User other = newUser();
        Random random = new Random(20250501);
        for (int i = 0; i < 80; i++) {
            Instant at = MAY_FIRST.plus(random.nextInt(5 * 24 * 60), ChronoUnit.MINUTES)
                    .plus(random.nextInt(60_000_000), ChronoUnit.MICROS);
            insert(user.id, at, pick(random, MODELS), pick(random, STATUSES), random);
            insert(other.id, at, pick(random, MODELS), "success", random);
        }
        // Just inside and just outside the five days.
        insert(user.id, Instant.parse("2025-05-05T23:59:59.999999Z"), "mock-1", "success", random);
        insert(user.id, Instant.parse("2025-05-06T00:00:00Z"), "mock-1", "success", random);
        insert(user.id, Instant.parse("2025-04-30T23:59:59.999999Z"), "mock-1", "success", random);

        JsonNode stats = stats(user.key, "/v1/users/me/stats?from=2025-05-01&to=2025-05-05");

        String range = "user_id = :u AND created_at >= '2025-05-01T00:00:00Z' AND created_at < '2025-05-06T00:00:00Z' "
                + "AND status <> 'pending'";
        String sums = "count(*) AS requests, count(*) FILTER (WHERE status = 'success') AS successful, "
                + "sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens, "
                + "sum(total_tokens) AS total_tokens, sum(cost) AS cost";
        Map<String, Object> totals = JDBI.withHandle(handle -> handle.createQuery(
                "SELECT " + sums + " FROM request_history WHERE " + range).bind("u", user.id).mapToMap().one());
        List<Map<String, Object>> byModel = JDBI.withHandle(handle -> handle.createQuery(
                        "SELECT model, " + sums + " FROM request_history WHERE " + range
                                + " GROUP BY model ORDER BY model")
                .bind("u", user.id).mapToMap().list());
        List<Map<String, Object>> byDay = JDBI.withHandle(handle -> handle.createQuery(
                        "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, " + sums
                                + " FROM request_history WHERE " + range + " GROUP BY day ORDER BY day")
                .bind("u", user.id).mapToMap().list());

        assertThat(stats.path("user_id").asText()).isEqualTo(user.id);
        assertThat(stats.path("from").asText()).isEqualTo("2025-05-01");
        assertThat(stats.path("to").asText()).isEqualTo("2025-05-05");
        assertThat(((Number) totals.get("requests")).longValue()).isGreaterThan(50);
        assertSums(stats.path("totals"), totals);
        assertThat(stats.path("by_model")).hasSize(byModel.size());
        for (int i = 0; i < byModel.size(); i++) {
            assertThat(stats.path("by_model").get(i).path("model").asText()).isEqualTo(byModel.get(i).get("model"));
            assertSums(stats.path("by_model").get(i), byModel.get(i));
        }
        assertThat(byDay).hasSize(5);
        assertThat(stats.path("by_day")).hasSize(5);
        for (int i = 0; i < byDay.size(); i++) {
            assertThat(stats.path("by_day").get(i).path("date").asText()).isEqualTo(byDay.get(i).get("day"));
            assertSums(stats.path("by_day").get(i), byDay.get(i));
        }
    }

    @Test
    void completionsThroughTheGatewayAreCounted() {
        User user = newUser();
        for (int i = 0; i < 3; i++) {
            assertThat(client.chat(user.key, """
                    {"model": "mock-1", "messages": [{"role": "user", "content": "Hello there"}]}""").statusCode())
                    .isEqualTo(200);
        }

        JsonNode totals = stats(user.key, "/v1/users/me/stats").path("totals");

        assertThat(totals.path("requests").asLong()).isEqualTo(3);
        assertThat(totals.path("successful").asLong()).isEqualTo(3);
        assertThat(totals.path("failed").asLong()).isZero();
        // 9 prompt and 9 completion tokens each, at 1.00 and 2.00 per million.
        assertThat(totals.path("total_tokens").asLong()).isEqualTo(54);
        assertThat(totals.path("cost").decimalValue()).isEqualByComparingTo("0.000081");
    }

    @Test
    void theDefaultRangeIsTheLastThirtyDaysUpToToday() {
        User user = newUser();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        Random random = new Random(30);
        insert(user.id, Instant.now().truncatedTo(ChronoUnit.MICROS), "mock-1", "success", random);
        insert(user.id, today.minusDays(29).atStartOfDay(ZoneOffset.UTC).toInstant(), "mock-1", "error", random);
        insert(user.id, today.minusDays(29).atStartOfDay(ZoneOffset.UTC).toInstant().minusNanos(1000), "mock-1",
                "success", random);

        JsonNode stats = stats(user.key, "/v1/users/me/stats");

        assertThat(stats.path("from").asText()).isEqualTo(today.minusDays(29).toString());
        assertThat(stats.path("to").asText()).isEqualTo(today.toString());
        assertThat(stats.path("totals").path("requests").asLong()).isEqualTo(2);
        assertThat(stats.path("totals").path("failed").asLong()).isEqualTo(1);
        assertThat(stats(user.key, "/v1/users/me/stats?from=" + today.minusDays(2)).path("totals")
                .path("requests").asLong()).isEqualTo(1);
        assertThat(stats(user.key, "/v1/users/me/stats?to=" + today.minusDays(1)).path("from").asText())
                .isEqualTo(today.minusDays(30).toString());
    }

    @Test
    void aRangeWithoutRequestsHasZeroTotalsAndEmptyLists() {
        User user = newUser();

        JsonNode stats = stats(user.key, "/v1/users/me/stats?from=2020-01-01&to=2020-01-31");

        JsonNode totals = stats.path("totals");
        assertThat(totals.path("requests").asLong()).isZero();
        assertThat(totals.path("total_tokens").asLong()).isZero();
        assertThat(totals.path("cost").decimalValue()).isEqualByComparingTo(BigDecimal.ZERO);
        assertThat(totals.has("model")).isFalse();
        assertThat(totals.has("date")).isFalse();
        assertThat(stats.path("by_model").isArray()).isTrue();
        assertThat(stats.path("by_model")).isEmpty();
        assertThat(stats.path("by_day")).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"from=2025-13-01, from", "from=yesterday, from", "to=2025-02-30, to", "to=2025-05-01T00:00:00Z, to",
            "from=2025-05-02&to=2025-05-01, from", "from=2024-01-01&to=2025-01-01, from"})
    void invalidRangesAreRejectedInOpenAiShape(String query, String param) {
        User user = newUser();

        JsonNode error = assertOpenAiError(client, get(user.key, "/v1/users/me/stats?" + query), 400);

        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("param").asText()).isEqualTo(param);
    }

    @Test
    void theLongestRangeIs366Days() {
        User user = newUser();

        assertThat(get(user.key, "/v1/users/me/stats?from=2024-01-01&to=2024-12-31").statusCode()).isEqualTo(200);
    }

    @Test
    void onlyAdminsReadAnotherUsersStats() {
        User alice = newUser();
        User bob = newUser();
        insert(alice.id, MAY_FIRST, "mock-1", "success", new Random(1));

        JsonNode asAdmin = stats(admin, "/v1/users/" + alice.id + "/stats?from=2025-05-01&to=2025-05-01");
        JsonNode asAlice = stats(alice.key, "/v1/users/me/stats?from=2025-05-01&to=2025-05-01");

        assertThat(asAdmin).isEqualTo(asAlice);
        assertThat(asAdmin.path("totals").path("requests").asLong()).isEqualTo(1);
        for (String path : List.of("/v1/users/" + alice.id + "/stats", "/v1/users/" + bob.id + "/stats")) {
            JsonNode error = assertOpenAiError(client, get(bob.key, path), 403);
            assertThat(error.path("type").asText()).isEqualTo("permission_error");
        }
        assertOpenAiError(client, client.send(client.request("/v1/users/me/stats").GET()), 401);
        assertOpenAiError(client, client.send(client.request("/v1/users/" + alice.id + "/stats").GET()), 401);
        assertThat(stats(bob.key, "/v1/users/me/stats").path("user_id").asText()).isEqualTo(bob.id);
    }

    @Test
    void theQueryWalksTheUsersIndexRatherThanTheTable() throws Exception {
        // Enough rows of other users that reading the whole table would be the wrong plan.
        JDBI.useHandle(handle -> {
            handle.execute("""
                    INSERT INTO request_history (id, user_id, provider, model, request_type, status, created_at,
                        total_tokens, cost)
                    SELECT gen_random_uuid(), 'bulk-' || (n % 500), 'mock', 'mock-1', 'chat.completion', 'success',
                        timestamptz '2025-05-01' + n * interval '1 second', 3, 0.000001
                    FROM generate_series(1, 50000) AS n""");
            handle.execute("ANALYZE request_history");
        });
        String sql = UsageStatsDao.class.getMethod("groups", String.class, Instant.class, Instant.class)
                .getAnnotation(SqlQuery.class).value();

        List<String> plan = JDBI.withHandle(handle -> handle.createQuery("EXPLAIN " + sql)
                .bind("userId", "bulk-7")
                .bind("from", OffsetDateTime.parse("2025-05-01T00:00:00Z"))
                .bind("to", OffsetDateTime.parse("2025-05-31T00:00:00Z"))
                .mapTo(String.class)
                .list());

        assertThat(String.join("\n", plan)).contains("request_history_user_created_idx").doesNotContain("Seq Scan");
    }

    private record User(String id, String key) {
    }

    private static User newUser() {
        String id = "user-" + UUID.randomUUID();
        return new User(id, keys.create(id, null, false).plaintext());
    }

    private static void insert(String userId, Instant createdAt, String model, String status, Random random) {
        UUID id = UUID.randomUUID();
        rows.openAll(List.of(new RequestHistoryDao.Pending(id, createdAt, userId, null, null, "mock", model, model,
                "chat.completion", false, "{}", "test")), true);
        if (!status.equals("pending")) {
            long prompt = random.nextInt(5000);
            long completion = status.equals("success") ? random.nextInt(5000) : 0;
            BigDecimal cost = BigDecimal.valueOf(random.nextLong(1, 1_000_000_000_000L)).movePointLeft(12)
                    .setScale(12, RoundingMode.UNNECESSARY);
            rows.completeWithEvents(new RequestHistoryDao.Outcome(id, status, "{}", null, null, 200, prompt,
                    completion, prompt + completion, 0, 0, cost, 5, null), List.of());
        }
    }

    private static <T> T pick(Random random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    private static void assertSums(JsonNode group, Map<String, Object> expected) {
        long requests = ((Number) expected.get("requests")).longValue();
        long successful = ((Number) expected.get("successful")).longValue();
        assertThat(group.path("requests").asLong()).isEqualTo(requests);
        assertThat(group.path("successful").asLong()).isEqualTo(successful);
        assertThat(group.path("failed").asLong()).isEqualTo(requests - successful);
        for (String tokens : List.of("prompt_tokens", "completion_tokens", "total_tokens")) {
            assertThat(group.path(tokens).asLong()).as(tokens).isEqualTo(((Number) expected.get(tokens)).longValue());
        }
        assertThat(group.path("cost").isBigDecimal()).as("cost is an exact decimal in %s", group).isTrue();
        assertThat(group.path("cost").decimalValue()).isEqualByComparingTo((BigDecimal) expected.get("cost"));
    }

    private static JsonNode stats(String key, String path) {
        HttpResponse<String> response = get(key, path);
        assertThat(response.statusCode()).as("status of %s", response.body()).isEqualTo(200);
        return client.json(response);
    }

    private static HttpResponse<String> get(String key, String path) {
        return client.send(client.request(path).header("Authorization", "Bearer " + key).GET());
    }
}
