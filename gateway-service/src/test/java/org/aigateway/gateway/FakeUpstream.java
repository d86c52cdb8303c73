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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local stand-in for an LLM provider's API: answers {@code POST} to one path the way a test tells it to, in one
 * piece or as a stream written bit by bit, and keeps every request it received.
 */
public class FakeUpstream implements AutoCloseable {
    /** One request as it arrived: its headers (names in lower case) and its JSON body. */
    public record Received(Map<String, List<String>> headers, JsonNode body) {
        public String header(String name) {
            List<String> values = headers.get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }
    }

    /** What to answer. */
    public sealed interface Answer permits Reply, Streamed {
    }

    /** A whole body, after how long. */
    public record Reply(int status, String contentType, String body, Duration delay, Map<String, String> headers)
            implements Answer {
        public static Reply json(int status, String body) {
            return new Reply(status, "application/json", body, Duration.ZERO, Map.of());
        }
    }

    /** How a streamed body ends after its last piece. */
    public enum Ending {
        /** The body ends properly. */
        FINISH,
        /** The connection is cut without ending the body. */
        DROP,
        /** Nothing more is sent and the connection stays open until the client hangs up or the server stops. */
        HANG
    }

    /** One piece of a streamed body and the pause before it. */
    public record Piece(Duration delay, String text) {
    }

    /** A body sent piece by piece, each flushed at once. */
    public record Streamed(int status, String contentType, List<Piece> pieces, Ending ending) implements Answer {
        /** An event stream whose events follow each other {@code interval} apart. */
        public static Streamed events(Duration interval, List<String> events, Ending ending) {
            return new Streamed(200, "text/event-stream",
                    events.stream().map(event -> new Piece(interval, event)).toList(), ending);
        }
    }

    private final String path;
    private final HttpServer server;
    private final ExecutorService executor;
    private final ObjectMapper mapper = new ObjectMapper();
    private final BlockingDeque<Received> received = new LinkedBlockingDeque<>();
    private final AtomicInteger hangUps = new AtomicInteger();
    private volatile Answer answer;

    protected FakeUpstream(String path) {
        this.path = path;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the fake upstream", e);
        }
        // Several threads, so that a reply held back on purpose does not hold up the next request.
        executor = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "fake-upstream");
            thread.setDaemon(true);
            return thread;
        });
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** {@code http://127.0.0.1:port}, without a trailing slash. */
    public String root() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Answers every following request this way and forgets the requests received so far. */
    public void willAnswer(Answer next) {
        answer = next;
        received.clear();
        hangUps.set(0);
    }

    public void willAnswer(int status, String json) {
        willAnswer(Reply.json(status, json));
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    public Received onlyRequest() {
        List<Received> all = received();
        if (all.size() != 1) {
            throw new AssertionError("expected exactly one upstream request, got " + all.size());
        }
        return all.get(0);
    }

    /** How many streamed answers found the client gone before their end. */
    public int hangUps() {
        return hangUps.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        Map<String, List<String>> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT),
                List.copyOf(values)));
        if (!"POST".equals(exchange.getRequestMethod()) || !path.equals(exchange.getRequestURI().getPath())) {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
            return;
        }
        received.add(new Received(headers, body.length == 0 ? null : mapper.readTree(body)));
        Answer current = answer;
        if (current instanceof Reply reply) {
            try (exchange) {
                reply(exchange, reply);
            }
        } else if (current instanceof Streamed streamed) {
            stream(exchange, streamed);
        }
    }

    private static void reply(HttpExchange exchange, Reply answer) {
        try {
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
            // The caller gave up waiting and hung up; that is what the slow replies are for.
        }
    }

    private void stream(HttpExchange exchange, Streamed answer) {
        try {
            exchange.getResponseHeaders().set("Content-Type", answer.contentType());
            exchange.getResponseHeaders().set("Cache-Control", "no-cache");
            // Length 0: chunked, so every piece goes out as soon as it is flushed.
            exchange.sendResponseHeaders(answer.status(), 0);
            OutputStream out = exchange.getResponseBody();
            for (Piece piece : answer.pieces()) {
                if (!piece.delay().isZero()) {
                    Thread.sleep(piece.delay().toMillis());
                }
                out.write(piece.text().getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
            switch (answer.ending()) {
                case FINISH -> exchange.close();
                // An exception out of the handler makes the server close the socket mid-body.
                case DROP -> throw new IllegalStateException("connection dropped on purpose");
                case HANG -> Thread.sleep(Duration.ofMinutes(1).toMillis());
                default -> throw new IllegalArgumentException(answer.ending().name());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            hangUps.incrementAndGet();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
