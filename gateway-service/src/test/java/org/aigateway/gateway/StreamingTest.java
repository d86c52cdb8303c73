package org.aigateway.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import static org.aigateway.gateway.OpenAiErrorAssert.assertOpenAiError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Server-sent event streams from the mock provider: framing, usage, recording, abandonment and thread use. */
@ExtendWith(DropwizardExtensionsSupport.class)
class StreamingTest {
    private static final TestDatabase DB = TestDatabase.migrated("gateway", GatewayApplication.CHANGELOG);
    private static final TestVhost VHOST = TestVhost.create("gateway");
    private static final Jdbi JDBI = Jdbi.create(DB::connect)
            .installPlugin(new SqlObjectPlugin())
            .installPlugin(new PostgresPlugin());
    private static final PublishedEvents EVENTS = new PublishedEvents(JDBI, VHOST);

    private static final DropwizardAppExtension<GatewayConfiguration> APP = new DropwizardAppExtension<>(
            GatewayApplication.class,
            ResourceHelpers.resourceFilePath("test-streaming.yml"),
            ConfigOverride.config("database.url", DB::url),
            ConfigOverride.config("rabbitmq.uri", VHOST::uri),
            ConfigOverride.config("providers.upstream.baseUrl", "http://127.0.0.1:" + closedPort() + "/v1"));

    private static final String REPLY = "This is a mock reply to: Hello there";
    private static final int SLOW_CHUNKS = 30;
    private static final Duration SLOW_INTERVAL = Duration.ofMillis(100);

    private static GatewayClient client;
    private static ObjectMapper mapper;
    private static String alice;

    @BeforeAll
    static void createKeys() {
        mapper = APP.getObjectMapper();
        client = new GatewayClient(APP::getLocalPort, mapper, Duration.ofSeconds(30));
        alice = new ApiKeys(JDBI.onDemand(ApiKeyDao.class)).create("alice", null, false).plaintext();
    }

    @Test
    void streamIsFramedExactlyLikeOpenAi() {
        HttpResponse<String> response = client.chat(alice, body("mock-1", ""));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/event-stream"));
        String historyId = response.headers().firstValue("X-Request-Id").orElseThrow();
        // data: {chunk}, blank line, ... data: [DONE], blank line — nothing else.
        String[] lines = response.body().split("\n", -1);
        assertThat(lines.length % 2).isOne();
        for (int i = 0; i + 1 < lines.length; i += 2) {
            assertThat(lines[i]).startsWith("data: ");
            assertThat(lines[i + 1]).isEmpty();
        }
        List<String> data = data(response.body());
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        List<JsonNode> chunks = chunks(data);
        assertThat(chunks).allSatisfy(chunk -> {
            assertThat(chunk.path("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(chunk.path("id").asText()).isEqualTo(chunks.get(0).path("id").asText());
            assertThat(chunk.path("model").asText()).isEqualTo("mock-1");
            // The client did not ask for usage: no usage chunk and no usage field, although the gateway asked upstream.
            assertThat(chunk.has("usage")).as("usage in %s", chunk).isFalse();
            assertThat(chunk.path("choices")).hasSize(1);
        });
        assertThat(chunks.get(0).path("choices").get(0).path("delta").path("role").asText()).isEqualTo("assistant");
        assertThat(content(chunks)).isEqualTo(REPLY);
        assertThat(chunks.get(chunks.size() - 1).path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");

        Map<String, Object> row = awaitClosed(historyId);
        assertThat(row).containsEntry("status", "success").containsEntry("stream", true)
                .containsEntry("http_status", 200);
        // The same counts as the non-streaming answer: 9 prompt and 9 completion tokens.
        assertThat(row).containsEntry("prompt_tokens", 9L).containsEntry("completion_tokens", 9L)
                .containsEntry("total_tokens", 18L);
        assertThat((BigDecimal) row.get("cost")).isEqualByComparingTo("0.000027");
        assertThat((Long) row.get("time_to_first_token_ms")).isNotNull().isNotNegative()
                .isLessThanOrEqualTo((Long) row.get("response_time_ms"));
        JsonNode stored = client.json(client.history(alice, historyId));
        assertThat(stored.path("response").path("object").asText()).isEqualTo("chat.completion");
        assertThat(stored.path("response").path("choices").get(0).path("message").path("content").asText())
                .isEqualTo(REPLY);
        assertThat(stored.path("response").path("usage").path("total_tokens").asLong()).isEqualTo(18);

        String usageEvent = event(historyId, "chat_completion_success");
        assertThat(usageEvent).contains("\"tokensUsed\":18");
        assertThat(event(historyId, "request_timing")).contains("\"timeToFirstToken\":");
    }

    @Test
    void usageChunkReachesOnlyClientsThatAskForIt() {
        HttpResponse<String> response = client.chat(alice,
                body("mock-1", ", \"stream_options\": {\"include_usage\": true}"));

        List<JsonNode> chunks = chunks(data(response.body()));
        JsonNode last = chunks.get(chunks.size() - 1);
        assertThat(last.path("choices")).isEmpty();
        assertThat(last.path("usage").path("prompt_tokens").asLong()).isEqualTo(9);
        assertThat(last.path("usage").path("completion_tokens").asLong()).isEqualTo(9);
        assertThat(last.path("usage").path("total_tokens").asLong()).isEqualTo(18);
        assertThat(chunks.subList(0, chunks.size() - 1))
                .allSatisfy(chunk -> assertThat(chunk.get("usage").isNull()).as("usage in %s", chunk).isTrue());
        assertThat(content(chunks)).isEqualTo(REPLY);
    }

    @Test
    void chunksReachTheClientAsTheyAreProduced() throws Exception {
        List<Long> arrivals = new ArrayList<>();
        // A client that accepts gzip must still get each event at once, not when a compression buffer fills.
        HttpResponse<java.util.stream.Stream<String>> response = client.sendForLines(streamRequest("slow-1")
                .header("Accept-Encoding", "gzip"));
        assertThat(response.headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(response.statusCode()).isEqualTo(200);
        response.body().filter(line -> line.startsWith("data: ")).forEach(line -> arrivals.add(System.nanoTime()));

        // Role chunk, 30 content chunks (one every 100 ms), finish chunk, [DONE].
        assertThat(arrivals).hasSizeGreaterThanOrEqualTo(SLOW_CHUNKS + 1);
        long spreadMs = (arrivals.get(arrivals.size() - 1) - arrivals.get(0)) / 1_000_000;
        assertThat(spreadMs).as("time between first and last event").isGreaterThanOrEqualTo(
                (SLOW_CHUNKS - 2) * SLOW_INTERVAL.toMillis());
    }

    @Test
    void abandonedStreamIsRecordedWithItsPartialUsage() throws Exception {
        String historyId;
        int received = 0;
        try (Socket socket = new Socket("127.0.0.1", APP.getLocalPort())) {
            byte[] body = body("slow-1", "").getBytes(StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + alice
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
            String id = null;
            for (String line = in.readLine(); received < 4; line = in.readLine()) {
                if (line.regionMatches(true, 0, "X-Request-Id: ", 0, 14)) {
                    id = line.substring(14).strip();
                }
                if (line.contains("data: {")) {
                    received++;
                }
            }
            historyId = id;
        }
        assertThat(historyId).isNotNull();

        Map<String, Object> row = awaitClosed(historyId);
        assertThat(row).containsEntry("status", "cancelled").containsEntry("stream", true);
        long completion = (Long) row.get("completion_tokens");
        long prompt = (Long) row.get("prompt_tokens");
        // At least the content chunks the client saw (role chunk aside), far fewer than the whole answer.
        assertThat(completion).isBetween(3L, SLOW_CHUNKS - 5L);
        assertThat(prompt).isPositive();
        BigDecimal expected = BigDecimal.valueOf(prompt).add(BigDecimal.valueOf(completion * 2))
                .movePointLeft(6);
        assertThat((BigDecimal) row.get("cost")).isEqualByComparingTo(expected);
        assertThat((String) row.get("error_message")).contains("client closed the stream");
        assertThat(event(historyId, "chat_completion_error")).contains("\"status\":\"cancelled\"");
    }

    @Test
    void upstreamRefusalBeforeTheStreamIsAnOrdinaryJsonError() {
        HttpResponse<String> response = client.chat(alice, body("remote-1", ""));

        assertThat(response.statusCode()).isEqualTo(502);
        JsonNode error = assertOpenAiError(client, response, 502);
        assertThat(error.path("code").asText()).isEqualTo("upstream_unreachable");
        Map<String, Object> row = awaitClosed(response.headers().firstValue("X-Request-Id").orElseThrow());
        assertThat(row).containsEntry("status", "error").containsEntry("stream", true).containsEntry("http_status", 502);
    }

    @Test
    void manyOpenStreamsDoNotEachHoldAThread() {
        // 300 streams of 3 s each against a server with 32 threads: all must be open at the same time.
        int streams = 300;
        List<CompletableFuture<long[]>> results = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            results.add(client.sendForLinesAsync(streamRequest("slow-1")).thenApply(response -> {
                long[] firstAndLast = {0, 0};
                int[] events = {0};
                response.body().filter(line -> line.startsWith("data: ")).forEach(line -> {
                    if (events[0]++ == 0) {
                        firstAndLast[0] = System.nanoTime();
                    }
                    if (line.equals("data: [DONE]")) {
                        firstAndLast[1] = System.nanoTime();
                    }
                });
                return firstAndLast;
            }));
        }
        List<long[]> done = results.stream().map(CompletableFuture::join).collect(Collectors.toList());

        assertThat(done).allSatisfy(times -> assertThat(times[1]).as("stream ended with [DONE]").isNotZero());
        long lastFirstEvent = done.stream().mapToLong(times -> times[0]).max().orElseThrow();
        long firstEnd = done.stream().mapToLong(times -> times[1]).min().orElseThrow();
        assertThat(lastFirstEvent).as("every stream had started before any finished").isLessThan(firstEnd);
        await().atMost(Duration.ofSeconds(30)).until(() -> count("status = 'success' AND model = 'slow-1'") >= streams);
    }

    private static HttpRequest.Builder streamRequest(String model) {
        return client.request("/v1/chat/completions")
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + alice)
                .POST(HttpRequest.BodyPublishers.ofString(body(model, "")));
    }

    private static String body(String model, String extra) {
        // The slow model gets a long prompt, so its reply has more tokens than it has chunks.
        String prompt = model.equals("slow-1") ? "Hello there, ".repeat(40).strip() : "Hello there";
        return "{\"model\": \"" + model + "\", \"stream\": true, \"messages\": [{\"role\": \"user\", \"content\": \""
                + prompt + "\"}]" + extra + "}";
    }

    private static List<String> data(String sse) {
        return sse.lines().filter(line -> line.startsWith("data: ")).map(line -> line.substring(6)).toList();
    }

    private static List<JsonNode> chunks(List<String> data) {
        return data.stream().filter(item -> !item.equals("[DONE]")).map(item -> {
            try {
                return mapper.readTree(item);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + item, e);
            }
        }).toList();
    }

    private static String content(List<JsonNode> chunks) {
        return chunks.stream().flatMap(chunk -> java.util.stream.StreamSupport.stream(chunk.path("choices").spliterator(), false))
                .map(choice -> choice.path("delta").path("content").asText(""))
                .collect(Collectors.joining());
    }

    private static Map<String, Object> awaitClosed(String historyId) {
        await().atMost(Duration.ofSeconds(20)).until(() -> !"pending".equals(row(historyId).get("status")));
        return row(historyId);
    }

    private static Map<String, Object> row(String historyId) {
        return JDBI.withHandle(handle -> handle.createQuery("SELECT * FROM request_history WHERE id = :id")
                .bind("id", UUID.fromString(historyId)).mapToMap().one());
    }

    private static long count(String where) {
        return JDBI.withHandle(handle -> handle.createQuery("SELECT count(*) FROM request_history WHERE " + where)
                .mapTo(Long.class).one());
    }

    private static String event(String historyId, String eventName) {
        return EVENTS.one(historyId, eventName).toString();
    }

    private static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
