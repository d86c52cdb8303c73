package org.aigateway.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingDeque;

/**
 * A local stand-in for an OpenAI-compatible API: answers {@code POST /v1/chat/completions} the way a test tells it
 * to, and keeps every request it received.
 */
final class FakeOpenAiUpstream implements AutoCloseable {
    /** One request as it arrived: its headers (names in lower case) and its JSON body. */
    record Received(Map<String, List<String>> headers, JsonNode body) {
    }

    /** What to answer, after how long. */
    record Reply(int status, String contentType, String body, Duration delay, Map<String, String> headers) {
        static Reply json(int status, String body) {
            return new Reply(status, "application/json", body, Duration.ZERO, Map.of());
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final ObjectMapper mapper = new ObjectMapper();
    private final BlockingDeque<Received> received = new LinkedBlockingDeque<>();
    private volatile Reply reply;

    private FakeOpenAiUpstream(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    static FakeOpenAiUpstream start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            // Several threads, so that a reply held back on purpose does not hold up the next request.
            ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
                Thread thread = new Thread(runnable, "fake-openai-upstream");
                thread.setDaemon(true);
                return thread;
            });
            FakeOpenAiUpstream upstream = new FakeOpenAiUpstream(server, executor);
            server.createContext("/", upstream::handle);
            server.setExecutor(executor);
            server.start();
            return upstream;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the fake upstream", e);
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    /** Answers every following request this way and forgets the requests received so far. */
    void willAnswer(Reply next) {
        reply = next;
        received.clear();
    }

    void willAnswer(int status, String json) {
        willAnswer(Reply.json(status, json));
    }

    List<Received> received() {
        return List.copyOf(received);
    }

    Received onlyRequest() {
        List<Received> all = received();
        if (all.size() != 1) {
            throw new AssertionError("expected exactly one upstream request, got " + all.size());
        }
        return all.get(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, List<String>> headers = new TreeMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT),
                    List.copyOf(values)));
            if (!"POST".equals(exchange.getRequestMethod()) || !"/v1/chat/completions".equals(
                    exchange.getRequestURI().getPath())) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            received.add(new Received(headers, body.length == 0 ? null : mapper.readTree(body)));
            Reply answer = reply;
            if (!answer.delay().isZero()) {
                Thread.sleep(answer.delay().toMillis());
            }
            byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", answer.contentType());
            answer.headers().forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
            exchange.sendResponseHeaders(answer.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // The gateway gave up waiting and hung up; that is what the slow replies are for.
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
