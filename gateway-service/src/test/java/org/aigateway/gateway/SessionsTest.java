package org.aigateway.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import org.aigateway.gateway.auth.ApiKeyDao;
import org.aigateway.gateway.auth.ApiKeys;
import org.aigateway.gateway.history.RequestHistoryDao;
import org.aigateway.gateway.session.SessionDao;
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

import java.io.IOException;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.aigateway.gateway.OpenAiErrorAssert.assertOpenAiError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sessions through the running gateway: requests with the same {@code X-Session-Id} are counted into one session row,
 * which its owner lists, reads and ends; a request on an ended session reopens it.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class SessionsTest {
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
            ConfigOverride.config("rabbitmq.uri", VHOST::uri),
            // Nothing listens there, so remote-1 fails as an unreachable upstream.
            ConfigOverride.config("providers.upstream.baseUrl", "http://127.0.0.1:" + closedPort() + "/v1"));

    private static final String HELLO = """
            {"model": "mock-1", "messages": [{"role": "user", "content": "Hello there"}]}""";

    private static GatewayClient client;
    private static ApiKeys keys;
    private static SessionDao sessionRows;
    private static RequestHistoryDao historyRows;
    private static String admin;

    @BeforeAll
    static void setUp() {
        client = new GatewayClient(APP::getLocalPort, APP.getObjectMapper());
        keys = new ApiKeys(JDBI.onDemand(ApiKeyDao.class));
        sessionRows = JDBI.onDemand(SessionDao.class);
        historyRows = JDBI.onDemand(RequestHistoryDao.class);
        admin = keys.create("ops-" + UUID.randomUUID(), "operator", true).plaintext();
    }

    @Test
    void requestsWithoutTheHeaderWriteNoSession() {
        User user = newUser();

        assertThat(client.chat(user.key, HELLO).statusCode()).isEqualTo(200);

        assertThat(sessionCount(user.id)).isZero();
        assertThat(list(user.key, "").path("data")).isEmpty();
    }

    @Test
    void firstRequestOpensTheSessionAndIsCountedWhenItFinishes() {
        User user = newUser();
        String session = "s-" + UUID.randomUUID();

        String requestId = chat(user.key, session, HELLO);

        JsonNode read = session(user.key, session, "");
        Map<String, Object> request = historyRow(requestId);
        assertThat(read.path("session_id").asText()).isEqualTo(session);
        assertThat(read.path("user_id").asText()).isEqualTo(user.id);
        assertThat(read.path("status").asText()).isEqualTo("active");
        assertThat(read.path("total_requests").asLong()).isEqualTo(1);
        assertThat(read.path("total_tokens").asLong()).isEqualTo(((Number) request.get("total_tokens")).longValue())
                .isPositive();
        assertThat(read.path("total_cost").decimalValue()).isEqualByComparingTo((BigDecimal) request.get("cost"))
                .isPositive();
        assertThat(Instant.parse(read.path("started_at").asText())).isEqualTo(instant(request.get("created_at")));
        assertThat(Instant.parse(read.path("last_request_at").asText()))
                .isEqualTo(instant(request.get("completed_at")));
        assertThat(read.path("ended_at").isNull()).isTrue();
        assertThat(read.path("duration_ms").isNull()).isTrue();
        assertThat(read.path("requests").path("data")).hasSize(1);
        assertThat(read.path("requests").path("data").get(0).path("id").asText()).isEqualTo(requestId);
    }

    @Test
    void concurrentRequestsOnOneSessionAreCountedExactly() throws Exception {
        User user = newUser();
        String session = "busy-" + UUID.randomUUID();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        List<Callable<List<Integer>>> work = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            work.add(() -> {
                List<Integer> statuses = new ArrayList<>();
                for (int i = 0; i < 25; i++) {
                    // Messages of different lengths, so each request has its own token count and cost.
                    String body = """
                            {"model": "mock-1", "messages": [{"role": "user", "content": "%s"}]}"""
                            .formatted("word ".repeat(1 + thread * 25 + i));
                    statuses.add(client.send(chatRequest(user.key, session, body)).statusCode());
                }
                return statuses;
            });
        }
        List<Integer> statuses = new ArrayList<>();
        try {
            for (Future<List<Integer>> done : threads.invokeAll(work)) {
                statuses.addAll(done.get());
            }
        } finally {
            threads.shutdownNow();
        }

        assertThat(statuses).hasSize(100).containsOnly(200);
        Map<String, Object> sums = JDBI.withHandle(handle -> handle.createQuery("""
                        SELECT count(*) AS requests, sum(total_tokens) AS tokens, sum(cost) AS cost,
                               min(created_at) AS first, max(completed_at) AS last
                        FROM request_history WHERE user_id = :u AND session_id = :s""")
                .bind("u", user.id).bind("s", session).mapToMap().one());
        Map<String, Object> row = sessionRow(user.id, session);
        assertThat(((Number) sums.get("requests")).longValue()).isEqualTo(100);
        assertThat(row.get("total_requests")).isEqualTo(100L);
        assertThat(row.get("total_tokens")).isEqualTo(((Number) sums.get("tokens")).longValue());
        assertThat((BigDecimal) row.get("total_cost")).isEqualTo((BigDecimal) sums.get("cost"));
        assertThat(row.get("started_at")).isEqualTo(sums.get("first"));
        assertThat(row.get("last_request_at")).isEqualTo(sums.get("last"));
        JsonNode read = session(user.key, session, "");
        assertThat(read.path("total_requests").asLong()).isEqualTo(100);
        assertThat(read.path("total_cost").decimalValue()).isEqualByComparingTo((BigDecimal) sums.get("cost"));
    }

    @Test
    void failedRequestsCountAsRequestsWithTheTokensAndCostRecordedOnThem() {
        User user = newUser();
        String session = "mixed-" + UUID.randomUUID();
        chat(user.key, session, HELLO);
        HttpResponse<String> failed = client.send(chatRequest(user.key, session, """
                {"model": "remote-1", "messages": [{"role": "user", "content": "hi"}]}"""));
        assertThat(failed.statusCode()).isEqualTo(502);
        // Cancelled and aborted requests are closed by the chat service the same way, with what was used so far.
        UUID cancelled = closeDirectly(user.id, session, "cancelled", 7, new BigDecimal("0.000123456789"));
        closeDirectly(user.id, session, "aborted", 0, BigDecimal.ZERO);

        Map<String, Object> row = sessionRow(user.id, session);
        Map<String, Object> sums = historySums(user.id, session);

        assertThat(row.get("total_requests")).isEqualTo(4L);
        assertThat(row.get("total_tokens")).isEqualTo(((Number) sums.get("tokens")).longValue());
        assertThat((BigDecimal) row.get("total_cost")).isEqualTo((BigDecimal) sums.get("cost"));
        assertThat(historyRow(cancelled.toString())).containsEntry("status", "cancelled");
    }

    @Test
    void aRequestClosedTwiceIsCountedOnce() {
        User user = newUser();
        String session = "twice-" + UUID.randomUUID();
        UUID id = UUID.randomUUID();
        historyRows.openAll(List.of(pending(id, user.id, session)), true);
        RequestHistoryDao.Outcome outcome = outcome(id, "success", 10, new BigDecimal("0.5"));

        assertThat(historyRows.completeWithEvents(outcome, List.of())).isTrue();
        assertThat(historyRows.completeWithEvents(outcome, List.of())).isFalse();

        assertThat(sessionRow(user.id, session)).containsEntry("total_requests", 1L).containsEntry("total_tokens", 10L);
    }

    @Test
    void endingStoresTheEndAndDurationAndEndingAgainChangesNothing() {
        User user = newUser();
        String session = "end-" + UUID.randomUUID();
        chat(user.key, session, HELLO);

        JsonNode ended = client.json(ok(end(user.key, session, "")));
        JsonNode again = client.json(ok(end(user.key, session, "")));

        assertThat(ended.path("status").asText()).isEqualTo("ended");
        Instant started = Instant.parse(ended.path("started_at").asText());
        Instant endedAt = Instant.parse(ended.path("ended_at").asText());
        assertThat(endedAt).isAfterOrEqualTo(Instant.parse(ended.path("last_request_at").asText()));
        assertThat(ended.path("duration_ms").asLong()).isEqualTo(Duration.between(started, endedAt).toMillis());
        assertThat(again).isEqualTo(ended);
        assertThat(session(user.key, session, "").path("status").asText()).isEqualTo("ended");
    }

    @Test
    void aRequestOnAnEndedSessionReopensIt() {
        User user = newUser();
        String session = "reopen-" + UUID.randomUUID();
        chat(user.key, session, HELLO);
        JsonNode ended = client.json(ok(end(user.key, session, "")));

        chat(user.key, session, HELLO);

        JsonNode reopened = session(user.key, session, "");
        assertThat(reopened.path("status").asText()).isEqualTo("active");
        assertThat(reopened.path("ended_at").isNull()).isTrue();
        assertThat(reopened.path("duration_ms").isNull()).isTrue();
        assertThat(reopened.path("started_at")).isEqualTo(ended.path("started_at"));
        assertThat(reopened.path("total_requests").asLong()).isEqualTo(2);
        assertThat(Instant.parse(reopened.path("last_request_at").asText()))
                .isAfter(Instant.parse(ended.path("last_request_at").asText()));
        JsonNode endedAgain = client.json(ok(end(user.key, session, "")));
        assertThat(Instant.parse(endedAgain.path("ended_at").asText()))
                .isAfter(Instant.parse(ended.path("ended_at").asText()));
        assertThat(endedAgain.path("duration_ms").asLong()).isGreaterThan(ended.path("duration_ms").asLong());
    }

    @Test
    void someoneElsesSessionDoesNotExistForThem() {
        User alice = newUser();
        User bob = newUser();
        String session = "private-" + UUID.randomUUID();
        chat(alice.key, session, HELLO);

        assertOpenAiError(client, get(bob.key, "/v1/sessions/" + session), 404);
        assertOpenAiError(client, get(bob.key, "/v1/sessions/" + session + "?userId=" + alice.id), 404);
        assertOpenAiError(client, end(bob.key, session, ""), 404);
        JsonNode error = assertOpenAiError(client, end(bob.key, session, "userId=" + alice.id), 404);
        assertThat(error.path("code").asText()).isEqualTo("not_found");
        assertOpenAiError(client, get(alice.key, "/v1/sessions/unknown-" + UUID.randomUUID()), 404);
        assertOpenAiError(client, end(alice.key, "unknown-" + UUID.randomUUID(), ""), 404);
        // Bob's session of the same name is his own.
        chat(bob.key, session, HELLO);
        assertThat(client.json(ok(end(bob.key, session, ""))).path("user_id").asText()).isEqualTo(bob.id);

        assertThat(session(alice.key, session, "").path("status").asText()).isEqualTo("active");
        assertThat(session(alice.key, session, "").path("total_requests").asLong()).isEqualTo(1);
    }

    @Test
    void adminsReadAndEndAnyonesSessionByNamingTheUser() {
        User alice = newUser();
        String session = "audited-" + UUID.randomUUID();
        chat(alice.key, session, HELLO);

        assertOpenAiError(client, get(admin, "/v1/sessions/" + session), 404);
        JsonNode read = client.json(ok(get(admin, "/v1/sessions/" + session + "?userId=" + alice.id)));
        JsonNode ended = client.json(ok(end(admin, session, "userId=" + alice.id)));

        assertThat(read.path("user_id").asText()).isEqualTo(alice.id);
        assertThat(ended.path("status").asText()).isEqualTo("ended");
        assertThat(session(alice.key, session, "").path("status").asText()).isEqualTo("ended");
        assertThat(ids(list(admin, "userId=" + alice.id))).containsExactly(session);
    }

    @Test
    void listingAnotherUsersSessionsIsForbiddenAndEveryEndpointNeedsAKey() {
        User alice = newUser();
        User bob = newUser();
        chat(bob.key, "b-" + UUID.randomUUID(), HELLO);

        JsonNode error = assertOpenAiError(client, get(alice.key, "/v1/sessions?userId=" + bob.id), 403);
        assertThat(error.path("type").asText()).isEqualTo("permission_error");
        assertThat(error.path("param").asText()).isEqualTo("userId");
        assertThat(list(alice.key, "userId=" + alice.id).path("data")).isEmpty();
        for (HttpRequest.Builder request : List.of(client.request("/v1/sessions").GET(),
                client.request("/v1/sessions/x").GET(),
                client.request("/v1/sessions/x/end").POST(HttpRequest.BodyPublishers.noBody()))) {
            assertOpenAiError(client, client.send(request), 401);
        }
    }

    @Test
    void listPagesReturnEverySessionOnceNewestFirst() {
        User user = newUser();
        Instant base = Instant.parse("2025-04-01T00:00:00Z");
        List<String> expected = new ArrayList<>();
        // Pairs share a start, so their order comes from the session id alone.
        for (int i = 0; i < 9; i++) {
            String session = "page-" + i;
            sessionRows.requestStarted(user.id, session, base.plus(i / 2, ChronoUnit.MINUTES));
            expected.add(0, session);
        }
        sessionRows.end(user.id, "page-3");
        sessionRows.end(user.id, "page-6");

        assertThat(pageThrough(user.key, "", 2)).containsExactlyElementsOf(expected);
        assertThat(pageThrough(user.key, "status=ended", 1)).containsExactly("page-6", "page-3");
        assertThat(pageThrough(user.key, "status=active", 3)).hasSize(7).doesNotContain("page-3", "page-6");
        JsonNode first = list(user.key, "limit=9");
        assertThat(first.path("object").asText()).isEqualTo("list");
        assertThat(first.path("has_more").asBoolean()).isFalse();
        assertThat(first.path("next_cursor").isNull()).isTrue();
        assertThat(pageThrough(admin, "userId=" + user.id, 4)).containsExactlyElementsOf(expected);
    }

    @Test
    void adminListsEveryonesSessionsAcrossPages() {
        User alice = newUser();
        User bob = newUser();
        // Far in the future, so these are the newest sessions of the whole table.
        Instant start = Instant.parse("2999-01-01T00:00:00Z").plusSeconds(Math.abs(UUID.randomUUID().hashCode()));
        sessionRows.requestStarted(alice.id, "same", start);
        sessionRows.requestStarted(bob.id, "same", start);
        sessionRows.requestStarted(alice.id, "other", start);

        List<JsonNode> seen = new ArrayList<>();
        String cursor = null;
        for (int page = 0; page < 3; page++) {
            JsonNode list = list(admin, "limit=1" + (cursor == null ? "" : "&cursor=" + cursor));
            list.path("data").forEach(seen::add);
            cursor = list.path("next_cursor").asText();
        }

        List<String> keys = seen.stream().map(s -> s.path("user_id").asText() + "/" + s.path("session_id").asText())
                .toList();
        List<String> expected = new ArrayList<>(List.of(alice.id + "/same", bob.id + "/same", alice.id + "/other"));
        expected.sort((a, b) -> {
            String[] x = a.split("/");
            String[] y = b.split("/");
            int byUser = y[0].compareTo(x[0]);
            return byUser != 0 ? byUser : y[1].compareTo(x[1]);
        });
        assertThat(keys).containsExactlyElementsOf(expected);
    }

    @Test
    void aSessionShowsItsRequestsNewestFirstAPageAtATime() {
        User user = newUser();
        String session = "paged-" + UUID.randomUUID();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(0, chat(user.key, session, HELLO));
        }
        chat(user.key, "elsewhere-" + UUID.randomUUID(), HELLO);

        JsonNode first = session(user.key, session, "limit=2");
        JsonNode second = session(user.key, session, "limit=2&cursor=" + nextCursor(first));
        JsonNode third = session(user.key, session, "limit=2&cursor=" + nextCursor(second));

        List<String> seen = new ArrayList<>();
        for (JsonNode page : List.of(first, second, third)) {
            page.path("requests").path("data").forEach(r -> seen.add(r.path("id").asText()));
        }
        assertThat(seen).containsExactlyElementsOf(ids);
        assertThat(first.path("requests").path("object").asText()).isEqualTo("list");
        assertThat(first.path("requests").path("has_more").asBoolean()).isTrue();
        assertThat(third.path("requests").path("has_more").asBoolean()).isFalse();
        assertThat(first.path("total_requests").asLong()).isEqualTo(5);
    }

    @Test
    void sessionIdsWithSlashesAreAddressedAsTheyAre() {
        User user = newUser();
        String session = "team/alpha/" + UUID.randomUUID();
        chat(user.key, session, HELLO);

        assertThat(session(user.key, session, "").path("session_id").asText()).isEqualTo(session);
        assertThat(client.json(ok(end(user.key, session, ""))).path("status").asText()).isEqualTo("ended");
    }

    @ParameterizedTest
    @CsvSource({"limit=0, limit", "limit=101, limit", "limit=x, limit", "status=closed, status",
            "status=ACTIVE, status", "cursor=nonsense, cursor", "cursor=czE6eCx5LHo, cursor"})
    void invalidListParametersAreRejectedInOpenAiShape(String query, String param) {
        User user = newUser();

        JsonNode error = assertOpenAiError(client, get(user.key, "/v1/sessions?" + query), 400);

        assertThat(error.path("param").asText()).isEqualTo(param);
    }

    @Test
    void invalidRequestPageParametersOfASessionAreRejected() {
        User user = newUser();
        String session = "p-" + UUID.randomUUID();
        chat(user.key, session, HELLO);

        assertThat(assertOpenAiError(client, get(user.key, "/v1/sessions/" + session + "?limit=0"), 400)
                .path("param").asText()).isEqualTo("limit");
        assertThat(assertOpenAiError(client, get(user.key, "/v1/sessions/" + session + "?cursor=zz"), 400)
                .path("param").asText()).isEqualTo("cursor");
    }

    private record User(String id, String key) {
    }

    private static User newUser() {
        String id = "user-" + UUID.randomUUID();
        return new User(id, keys.create(id, null, false).plaintext());
    }

    private static HttpRequest.Builder chatRequest(String key, String session, String body) {
        return client.request("/v1/chat/completions")
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .header("X-Session-Id", session)
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    /** A successful completion in the session; returns its history id. */
    private static String chat(String key, String session, String body) {
        HttpResponse<String> response = client.send(chatRequest(key, session, body));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.headers().firstValue("X-Request-Id").orElseThrow();
    }

    private static UUID closeDirectly(String userId, String session, String status, long tokens, BigDecimal cost) {
        UUID id = UUID.randomUUID();
        historyRows.openAll(List.of(pending(id, userId, session)), true);
        assertThat(historyRows.completeWithEvents(outcome(id, status, tokens, cost), List.of())).isTrue();
        return id;
    }

    private static RequestHistoryDao.Pending pending(UUID id, String userId, String session) {
        return new RequestHistoryDao.Pending(id, Instant.now().truncatedTo(ChronoUnit.MICROS), userId, null, session,
                "mock", "mock-1", "mock-1", "chat.completion", true, "{\"model\":\"mock-1\"}", "test");
    }

    private static RequestHistoryDao.Outcome outcome(UUID id, String status, long tokens, BigDecimal cost) {
        return new RequestHistoryDao.Outcome(id, status, null, null, null, 499, tokens / 2, tokens - tokens / 2,
                tokens, 0, 0, cost, 5, null);
    }

    private static JsonNode session(String key, String session, String query) {
        return client.json(ok(get(key, "/v1/sessions/" + session + (query.isEmpty() ? "" : "?" + query))));
    }

    private static String nextCursor(JsonNode session) {
        return session.path("requests").path("next_cursor").asText();
    }

    private static JsonNode list(String key, String query) {
        return client.json(ok(get(key, "/v1/sessions" + (query.isEmpty() ? "" : "?" + query))));
    }

    private static List<String> ids(JsonNode page) {
        List<String> ids = new ArrayList<>();
        page.path("data").forEach(s -> ids.add(s.path("session_id").asText()));
        return ids;
    }

    private static List<String> pageThrough(String key, String query, int limit) {
        List<String> seen = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = list(key, query + "&limit=" + limit + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(page.path("data").size()).isLessThanOrEqualTo(limit);
            seen.addAll(ids(page));
            cursor = page.path("next_cursor").isNull() ? null : page.path("next_cursor").asText();
        } while (cursor != null);
        return seen;
    }

    private static HttpResponse<String> get(String key, String path) {
        return client.send(client.request(path).header("Authorization", "Bearer " + key).GET());
    }

    private static HttpResponse<String> end(String key, String session, String query) {
        return client.send(client.request("/v1/sessions/" + session + "/end" + (query.isEmpty() ? "" : "?" + query))
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.noBody()));
    }

    private static HttpResponse<String> ok(HttpResponse<String> response) {
        assertThat(response.statusCode()).as("status of %s", response.body()).isEqualTo(200);
        return response;
    }

    private static long sessionCount(String userId) {
        return JDBI.withHandle(handle -> handle.createQuery("SELECT count(*) FROM session_history WHERE user_id = :u")
                .bind("u", userId).mapTo(Long.class).one());
    }

    private static Map<String, Object> sessionRow(String userId, String session) {
        return JDBI.withHandle(handle -> handle.createQuery(
                        "SELECT * FROM session_history WHERE user_id = :u AND session_id = :s")
                .bind("u", userId).bind("s", session).mapToMap().one());
    }

    private static Map<String, Object> historySums(String userId, String session) {
        return JDBI.withHandle(handle -> handle.createQuery("""
                        SELECT count(*) AS requests, sum(total_tokens) AS tokens, sum(cost) AS cost
                        FROM request_history WHERE user_id = :u AND session_id = :s""")
                .bind("u", userId).bind("s", session).mapToMap().one());
    }

    private static Map<String, Object> historyRow(String id) {
        return JDBI.withHandle(handle -> handle.createQuery("SELECT * FROM request_history WHERE id = :id::uuid")
                .bind("id", id).mapToMap().one());
    }

    private static Instant instant(Object timestamp) {
        return timestamp instanceof java.time.OffsetDateTime odt ? odt.toInstant()
                : ((java.sql.Timestamp) timestamp).toInstant();
    }

    private static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
