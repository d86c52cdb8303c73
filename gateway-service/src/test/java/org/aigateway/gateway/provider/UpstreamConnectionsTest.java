package org.aigateway.gateway.provider;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cap on idle upstream connections and their idle timeout, seen from the upstream, for whole answers and for
 * streams: Java's HTTP client (streams) reads its settings once per process, so each case runs in a JVM of its own
 * against a server that counts the connections left open.
 */
class UpstreamConnectionsTest {
    private static final int REQUESTS = 12;

    @Test
    void answerConnectionsBeyondMaxIdleAreClosedOnceTheirRequestsEnd() throws Exception {
        assertThat(openAfterBurst("answers", "3", "60", 1)).isEqualTo(3);
    }

    @Test
    void answerConnectionsWithinMaxIdleStayOpen() throws Exception {
        assertThat(openAfterBurst("answers", "256", "60", 1)).isEqualTo(REQUESTS);
    }

    @Test
    void answerConnectionsIdleForIdleTimeoutAreClosed() throws Exception {
        assertThat(openAfterBurst("answers", "256", "1", 4)).isZero();
    }

    @Test
    void streamConnectionsBeyondMaxIdleAreClosedOnceTheirStreamsEnd() throws Exception {
        assertThat(openAfterBurst("streams", "3", "60", 1)).isEqualTo(3);
    }

    @Test
    void withoutTheCapEveryStreamConnectionOfABurstStaysOpen() throws Exception {
        assertThat(openAfterBurst("streams", "unset", "60", 1)).isEqualTo(REQUESTS);
    }

    @Test
    void settingsGivenOnTheCommandLineWin() {
        String before = System.getProperty(UpstreamConnectionsFactory.MAX_IDLE_PROPERTY);
        String timeoutBefore = System.getProperty(UpstreamConnectionsFactory.IDLE_TIMEOUT_PROPERTY);
        try {
            System.setProperty(UpstreamConnectionsFactory.MAX_IDLE_PROPERTY, "7");
            System.clearProperty(UpstreamConnectionsFactory.IDLE_TIMEOUT_PROPERTY);
            UpstreamConnectionsFactory factory = new UpstreamConnectionsFactory();
            factory.setMaxIdle(99);
            factory.setIdleTimeout(io.dropwizard.util.Duration.minutes(2));

            factory.apply();

            assertThat(System.getProperty(UpstreamConnectionsFactory.MAX_IDLE_PROPERTY)).isEqualTo("7");
            assertThat(System.getProperty(UpstreamConnectionsFactory.IDLE_TIMEOUT_PROPERTY)).isEqualTo("120");
        } finally {
            restore(UpstreamConnectionsFactory.MAX_IDLE_PROPERTY, before);
            restore(UpstreamConnectionsFactory.IDLE_TIMEOUT_PROPERTY, timeoutBefore);
        }
    }

    /** Runs {@link Burst} in a new JVM and returns how many connections the upstream still had open afterwards. */
    private static int openAfterBurst(String kind, String maxIdle, String idleTimeoutSeconds, int waitSeconds)
            throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                Burst.class.getName(), kind, maxIdle, idleTimeoutSeconds, Integer.toString(REQUESTS),
                Integer.toString(waitSeconds))
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        String count = output.lines().filter(line -> line.startsWith("open=")).findFirst().orElse("");
        assertThat(count).as(output).isNotEmpty();
        return Integer.parseInt(count.substring("open=".length()));
    }

    private static void restore(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }

    /**
     * Applies the settings (the cap left at Java's default for "unset"), sends whole-answer requests or streams at
     * once through an {@code openai} provider to a server that answers none before all have arrived, so each has a
     * connection of its own, then prints how many of those connections are still open the given seconds after the
     * last answer ended.
     */
    public static final class Burst {
        public static void main(String[] args) throws Exception {
            boolean streams = args[0].equals("streams");
            UpstreamConnectionsFactory connections = new UpstreamConnectionsFactory();
            connections.setIdleTimeout(io.dropwizard.util.Duration.seconds(Long.parseLong(args[2])));
            if (!args[1].equals("unset")) {
                connections.setMaxIdle(Integer.parseInt(args[1]));
                connections.apply();
            }
            int requests = Integer.parseInt(args[3]);
            ObjectMapper mapper = new ObjectMapper();
            try (CountingUpstream upstream = new CountingUpstream(requests)) {
                OpenAiProviderFactory factory = new OpenAiProviderFactory();
                factory.setBaseUrl(upstream.baseUrl());
                ChatProvider provider = factory.build("upstream", mapper, connections);
                ObjectNode request = (ObjectNode) mapper.readTree(
                        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
                ExecutorService callers = Executors.newFixedThreadPool(requests);
                List<Future<?>> answers = new ArrayList<>();
                for (int i = 0; i < requests; i++) {
                    answers.add(callers.submit(() -> streams ? streamToTheEnd(provider, request.deepCopy())
                            : provider.complete(request.deepCopy())));
                }
                for (Future<?> answer : answers) {
                    answer.get(30, TimeUnit.SECONDS);
                }
                callers.shutdown();
                Thread.sleep(Integer.parseInt(args[4]) * 1_000L);
                System.out.println("open=" + upstream.open());
                provider.stop();
            }
        }

        private static Void streamToTheEnd(ChatProvider provider, ObjectNode request) throws Exception {
            CompletableFuture<Void> ended = new CompletableFuture<>();
            provider.stream(request, new StreamListener() {
                @Override
                public void onOpen() {
                }

                @Override
                public void onChunk(ObjectNode chunk) {
                }

                @Override
                public void onUsage(TokenUsage usage) {
                }

                @Override
                public void onComplete() {
                    ended.complete(null);
                }

                @Override
                public void onError(UpstreamException error) {
                    ended.completeExceptionally(error);
                }
            });
            return ended.get(30, TimeUnit.SECONDS);
        }
    }

    /** An HTTP/1.1 server with persistent connections that counts the ones open and holds the first answers. */
    private static final class CountingUpstream implements AutoCloseable {
        private static final String STREAM = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\","
                + "\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},"
                + "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
        private static final String ANSWER = "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,"
                + "\"total_tokens\":2}}";
        private final ServerSocket server;
        private final CyclicBarrier allArrived;
        private final AtomicInteger open = new AtomicInteger();

        CountingUpstream(int burst) throws IOException {
            server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
            allArrived = new CyclicBarrier(burst);
            Thread acceptor = new Thread(this::accept, "counting-upstream");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        String baseUrl() {
            return "http://127.0.0.1:" + server.getLocalPort() + "/v1";
        }

        int open() {
            return open.get();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    open.incrementAndGet();
                    Thread connection = new Thread(() -> serve(socket));
                    connection.setDaemon(true);
                    connection.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket socket) {
            boolean first = true;
            try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.ISO_8859_1));
                while (true) {
                    int length = 0;
                    boolean stream = false;
                    String line = reader.readLine();
                    if (line == null) {
                        return;
                    }
                    while (!(line = reader.readLine()).isEmpty()) {
                        String header = line.toLowerCase(Locale.ROOT);
                        if (header.startsWith("content-length:")) {
                            length = Integer.parseInt(line.substring("content-length:".length()).trim());
                        }
                        stream |= header.startsWith("accept:") && header.contains("text/event-stream");
                    }
                    if (reader.skip(length) != length) {
                        return;
                    }
                    if (first) {
                        allArrived.await(20, TimeUnit.SECONDS);
                        first = false;
                    }
                    byte[] body = (stream ? STREAM : ANSWER).getBytes(StandardCharsets.UTF_8);
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: " + (stream ? "text/event-stream" : "application/json")
                            + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.write(body);
                    out.flush();
                }
            } catch (Exception e) {
                // The client went away: the connection is closed either way.
            } finally {
                open.decrementAndGet();
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
