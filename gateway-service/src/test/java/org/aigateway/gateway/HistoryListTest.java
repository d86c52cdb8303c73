package org.aigateway.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import org.aigateway.gateway.auth.ApiKeyDao;
import org.aigateway.gateway.auth.ApiKeys;
import org.aigateway.gateway.history.RequestHistoryDao;
import org.aigateway.support.testing.TestDatabase;
import org.aigateway.support.testing.TestVhost;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.aigateway.gateway.OpenAiErrorAssert.assertOpenAiError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code GET /v1/history}: the caller's records, newest first, filtered and paged by an opaque keyset cursor. */
@ExtendWith(DropwizardExtensionsSupport.class)
class HistoryListTest {
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

    private static final Instant DAY_ONE = Instant.parse("2025-03-01T00:00:00Z");
    private static final String HELLO = """
            {"model": "mock-1", "messages": [{"role": "user", "content": "Hello there"}]}""";

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
    void pagesReturnEveryRowExactlyOnceNewestFirst() {
        User user = newUser();
        // Groups of three share a timestamp, so the order within a group comes from the id alone.
        for (int i = 0; i < 23; i++) {
            insert(user.id, DAY_ONE.plus(i / 3, ChronoUnit.MINUTES), "mock-1", "mock", null, null);
        }

        List<String> paged = pageThrough(user.key, "", 4);

        assertThat(paged).hasSize(23).doesNotHaveDuplicates().containsExactlyElementsOf(expectedOrder(user.id));
    }

    @Test
    void firstPageHasTheListShape() {
        User user = newUser();
        insert(user.id, DAY_ONE, "mock-1", "mock", "s-1", "success");
        insert(user.id, DAY_ONE.plusSeconds(1), "mock-1", "mock", "s-1", "success");

        JsonNode page = list(user.key, "limit=1");

        assertThat(page.path("object").asText()).isEqualTo("list");
        assertThat(page.path("has_more").asBoolean()).isTrue();
        assertThat(page.path("next_cursor").isTextual()).isTrue();
        JsonNode record = page.path("data").get(0);
        String id = record.path("id").asText();
        assertThat(record).isEqualTo(client.json(client.history(user.key, id)));
        assertThat(record.path("created_at").asText()).isEqualTo("2025-03-01T00:00:01Z");
        JsonNode last = list(user.key, "limit=1&cursor=" + page.path("next_cursor").asText());
        assertThat(last.path("has_more").asBoolean()).isFalse();
        assertThat(last.path("next_cursor").isNull()).isTrue();
        assertThat(last.has("next_cursor")).isTrue();
    }

    @Test
    void rowsWrittenWhilePagingNeitherAppearNorShiftLaterPages() {
        User user = newUser();
        Instant base = Instant.now().minus(1, ChronoUnit.HOURS);
        for (int i = 0; i < 12; i++) {
            insert(user.id, base.plusMillis(i / 2), "mock-1", "mock", null, "success");
        }
        List<String> before = expectedOrder(user.id);

        List<String> seen = new ArrayList<>();
        Set<String> written = new HashSet<>();
        String cursor = null;
        do {
            JsonNode page = list(user.key, "limit=5" + (cursor == null ? "" : "&cursor=" + cursor));
            page.path("data").forEach(row -> seen.add(row.path("id").asText()));
            // Real completions between page fetches, each a new newest row of this user.
            for (int i = 0; i < 2; i++) {
                HttpResponse<String> chat = client.chat(user.key, HELLO);
                assertThat(chat.statusCode()).isEqualTo(200);
                written.add(chat.headers().firstValue("X-Request-Id").orElseThrow());
            }
            cursor = page.path("next_cursor").isNull() ? null : page.path("next_cursor").asText();
        } while (cursor != null);

        assertThat(seen).containsExactlyElementsOf(before);
        assertThat(seen).doesNotContainAnyElementsOf(written);
        assertThat(pageThrough(user.key, "", 100)).hasSize(before.size() + written.size())
                .startsWith(expectedOrder(user.id).get(0))
                .containsAll(written);
    }

    @Test
    void pagingWhileOtherThreadsWriteRepeatsNoRowAndMissesNoneThatWasThereBefore() throws Exception {
        User user = newUser();
        Instant base = Instant.now().minus(2, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MICROS);
        List<Instant> times = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            times.add(base.plusSeconds(i / 3));
            insert(user.id, times.get(i), "mock-1", "mock", null, "success");
        }
        List<String> before = expectedOrder(user.id);
        AtomicBoolean paging = new AtomicBoolean(true);
        AtomicInteger written = new AtomicInteger();
        ExecutorService writers = Executors.newFixedThreadPool(2);
        // Rows older than, newer than and tied with the existing ones, and real completions (the newest of all).
        Future<?> backdated = writers.submit(() -> {
            Random random = new Random(11);
            while (paging.get()) {
                Instant at = random.nextBoolean() ? times.get(random.nextInt(times.size()))
                        : base.plus(random.nextInt(3 * 3600) - 3600, ChronoUnit.SECONDS);
                insert(user.id, at, "mock-1", "mock", null, "success");
                written.incrementAndGet();
            }
        });
        Future<?> live = writers.submit(() -> {
            while (paging.get()) {
                assertThat(client.chat(user.key, HELLO).statusCode()).isEqualTo(200);
                written.incrementAndGet();
            }
        });

        List<String> seen = new ArrayList<>();
        try {
            String cursor = null;
            do {
                int writtenBefore = written.get();
                JsonNode page = list(user.key, "limit=7" + (cursor == null ? "" : "&cursor=" + cursor));
                page.path("data").forEach(row -> seen.add(row.path("id").asText()));
                cursor = page.path("next_cursor").isNull() ? null : page.path("next_cursor").asText();
                // Every page is fetched with writes in between, not only alongside.
                await().atMost(Duration.ofSeconds(10)).until(() -> written.get() > writtenBefore + 2);
            } while (cursor != null);
        } finally {
            paging.set(false);
            backdated.get(30, TimeUnit.SECONDS);
            live.get(30, TimeUnit.SECONDS);
            writers.shutdownNow();
        }

        assertThat(seen).doesNotHaveDuplicates().containsAll(before);
        List<String> all = expectedOrder(user.id);
        assertThat(all.size()).isGreaterThan(before.size() + 20);
        // Whatever rows the pages picked up, they came in the list's order.
        assertThat(seen).isEqualTo(all.stream().filter(new HashSet<>(seen)::contains).toList());
    }

    @Test
    void eachFilterSelectsItsRows() {
        User user = newUser();
        String a = insert(user.id, DAY_ONE, "mock-1", "mock", "s-a", "success");
        String b = insert(user.id, DAY_ONE.plus(1, ChronoUnit.DAYS), "remote-1", "upstream", "s-b", "error");
        String c = insert(user.id, DAY_ONE.plus(2, ChronoUnit.DAYS), "mock-1", "mock", "s-a", null);
        String d = insert(user.id, DAY_ONE.plus(3, ChronoUnit.DAYS).plusSeconds(3600), "remote-1", "other", null,
                "success");

        assertThat(ids(user.key, "model=mock-1")).containsExactly(c, a);
        assertThat(ids(user.key, "model=remote-1")).containsExactly(d, b);
        assertThat(ids(user.key, "provider=upstream")).containsExactly(b);
        assertThat(ids(user.key, "provider=other")).containsExactly(d);
        assertThat(ids(user.key, "status=success")).containsExactly(d, a);
        assertThat(ids(user.key, "status=error")).containsExactly(b);
        assertThat(ids(user.key, "status=pending")).containsExactly(c);
        assertThat(ids(user.key, "sessionId=s-a")).containsExactly(c, a);
        assertThat(ids(user.key, "from=2025-03-02")).containsExactly(d, c, b);
        assertThat(ids(user.key, "to=2025-03-02")).containsExactly(b, a);
        assertThat(ids(user.key, "from=2025-03-02&to=2025-03-03")).containsExactly(c, b);
        assertThat(ids(user.key, "from=2025-03-04T00:30:00Z")).containsExactly(d);
        assertThat(ids(user.key, "to=2025-03-04T01:00:00Z")).containsExactly(c, b, a);
        assertThat(ids(user.key, "from=" + enc("2025-03-04T02:00:00+01:00"))).containsExactly(d);
        assertThat(ids(user.key, "model=mock-1&status=pending&sessionId=s-a")).containsExactly(c);
        assertThat(ids(user.key, "model=mock-1&provider=upstream")).isEmpty();
        assertThat(pageThrough(user.key, "model=remote-1", 1)).containsExactly(d, b);
    }

    @Test
    void otherUsersRowsNeverAppear() {
        User alice = newUser();
        User bob = newUser();
        String session = "shared-" + UUID.randomUUID();
        String mine = insert(alice.id, DAY_ONE, "mock-1", "mock", session, "success");
        insert(bob.id, DAY_ONE, "mock-1", "mock", session, "success");
        insert(bob.id, DAY_ONE.plusSeconds(1), "mock-1", "mock", session, "success");

        assertThat(ids(alice.key, "")).containsExactly(mine);
        assertThat(ids(alice.key, "sessionId=" + session)).containsExactly(mine);
        assertThat(ids(alice.key, "userId=" + alice.id)).containsExactly(mine);
        assertThat(list(bob.key, "").path("data")).allSatisfy(
                row -> assertThat(row.path("user_id").asText()).isEqualTo(bob.id));
    }

    @Test
    void adminListsOneUserOrEveryone() {
        User alice = newUser();
        User bob = newUser();
        String session = "audit-" + UUID.randomUUID();
        String a1 = insert(alice.id, DAY_ONE, "mock-1", "mock", session, "success");
        String b1 = insert(bob.id, DAY_ONE.plusSeconds(1), "mock-1", "mock", session, "error");
        String a2 = insert(alice.id, DAY_ONE.plusSeconds(2), "mock-1", "mock", session, "success");

        assertThat(pageThrough(admin, "sessionId=" + session, 2)).containsExactly(a2, b1, a1);
        assertThat(pageThrough(admin, "sessionId=" + session + "&userId=" + alice.id, 1)).containsExactly(a2, a1);
        assertThat(ids(admin, "userId=" + bob.id)).containsExactly(b1);
        assertThat(ids(admin, "userId=nobody-" + UUID.randomUUID())).isEmpty();
    }

    @Test
    void nonAdminAskingForAnotherUserIsForbidden() {
        User alice = newUser();
        User bob = newUser();
        insert(bob.id, DAY_ONE, "mock-1", "mock", null, "success");

        JsonNode error = assertOpenAiError(client, get(alice.key, "userId=" + bob.id), 403);

        assertThat(error.path("type").asText()).isEqualTo("permission_error");
        assertThat(error.path("param").asText()).isEqualTo("userId");
    }

    @ParameterizedTest
    @CsvSource({
            "limit=0, limit", "limit=101, limit", "limit=-1, limit", "limit=ten, limit", "limit=1.5, limit",
            "cursor=not-a-cursor, cursor", "cursor=aDE6eCx5, cursor", "cursor=%2F%2F%2F, cursor",
            "status=done, status", "status=SUCCESS, status",
            "from=yesterday, from", "from=2025-13-01, from", "from=2025-03-01T00:00:00, from",
            "to=2025-02-30, to", "to=soon, to", "from=2025-03-02&to=2025-03-01, from"})
    void invalidParametersAreRejectedInOpenAiShape(String query, String param) {
        User user = newUser();

        JsonNode error = assertOpenAiError(client, get(user.key, query), 400);

        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("param").asText()).isEqualTo(param);
    }

    @Test
    void cursorWithATamperedTimestampIsRejected() {
        User user = newUser();
        String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(
                ("h1:2025-03-01T00:00:00Z'--," + UUID.randomUUID()).getBytes(StandardCharsets.US_ASCII));

        assertThat(assertOpenAiError(client, get(user.key, "cursor=" + forged), 400).path("param").asText())
                .isEqualTo("cursor");
    }

    @ParameterizedTest
    @ValueSource(strings = {"' OR '1'='1", "x'; DROP TABLE request_history; --", "1) OR (1=1",
            "mock-1' --", "%", "_", "\\", "\" OR \"\"=\""})
    void sqlLookingFilterValuesMatchNothing(String value) {
        User user = newUser();
        insert(user.id, DAY_ONE, "mock-1", "mock", "s-1", "success");
        String param = "=" + enc(value);

        for (String filter : List.of("model", "provider", "sessionId")) {
            assertThat(ids(user.key, filter + param)).as(filter).isEmpty();
        }
        assertThat(ids(admin, "userId" + param)).isEmpty();
        assertThat(ids(user.key, "")).hasSize(1);
    }

    private record User(String id, String key) {
    }

    private static User newUser() {
        String id = "user-" + UUID.randomUUID();
        return new User(id, keys.create(id, null, false).plaintext());
    }

    /** Writes a history row as the gateway would, closed with the given status unless that is null (pending). */
    private static String insert(String userId, Instant createdAt, String model, String provider, String sessionId,
                                 String status) {
        UUID id = UUID.randomUUID();
        rows.openAll(List.of(new RequestHistoryDao.Pending(id, createdAt, userId, null, sessionId, provider, model,
                model, "chat.completion", false, "{\"model\":\"" + model + "\"}", "test-gateway")), true);
        if (status != null) {
            rows.completeWithEvents(new RequestHistoryDao.Outcome(id, status, "{}",
                    status.equals("error") ? "boom" : null, null, status.equals("error") ? 500 : 200, 1, 2, 3, 0, 0,
                    BigDecimal.ZERO, 5, null), List.of());
        }
        return id.toString();
    }

    private static List<String> expectedOrder(String userId) {
        return JDBI.withHandle(handle -> handle.createQuery(
                        "SELECT id::text FROM request_history WHERE user_id = :u ORDER BY created_at DESC, id DESC")
                .bind("u", userId)
                .mapTo(String.class)
                .list());
    }

    private static List<String> pageThrough(String key, String query, int limit) {
        List<String> seen = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = list(key, query + "&limit=" + limit + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(page.path("data").size()).isLessThanOrEqualTo(limit);
            page.path("data").forEach(row -> seen.add(row.path("id").asText()));
            assertThat(page.path("has_more").asBoolean()).isEqualTo(!page.path("next_cursor").isNull());
            cursor = page.path("next_cursor").isNull() ? null : page.path("next_cursor").asText();
        } while (cursor != null);
        return seen;
    }

    private static List<String> ids(String key, String query) {
        List<String> ids = new ArrayList<>();
        list(key, query).path("data").forEach(row -> ids.add(row.path("id").asText()));
        return ids;
    }

    private static JsonNode list(String key, String query) {
        HttpResponse<String> response = get(key, query);
        assertThat(response.statusCode()).as("status of %s", response.body()).isEqualTo(200);
        return client.json(response);
    }

    private static HttpResponse<String> get(String key, String query) {
        return client.send(client.request("/v1/history" + (query.isEmpty() ? "" : "?" + query))
                .header("Authorization", "Bearer " + key).GET());
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
