package org.aigateway.gateway.provider;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the client of whole answers does when an upstream closes a connection, against a server that answers at most
 * one request per connection and then closes it without saying so (no {@code Connection: close}).
 */
class AnswerClientTest {
    private static final byte[] BODY = "{}".getBytes(StandardCharsets.UTF_8);

    @Test
    void aRequestMeetingAKeptConnectionTheUpstreamClosedGoesOutAgainOnANewOne() throws Exception {
        try (OneRequestPerConnection upstream = new OneRequestPerConnection(true);
             AnswerClient client = client()) {
            assertThat(client.post(upstream.uri(), Map.of(), BODY, "upstream").status()).isEqualTo(200);
            // The upstream's close reaches the client's pooled connection before it is used again.
            Thread.sleep(200);

            assertThat(client.post(upstream.uri(), Map.of(), BODY, "upstream").status()).isEqualTo(200);
            assertThat(upstream.connections()).isEqualTo(2);
            assertThat(upstream.requestsRead()).isEqualTo(2);
        }
    }

    @Test
    void aNewConnectionClosedWithoutAnAnswerIsNotTriedAgain() throws Exception {
        try (OneRequestPerConnection upstream = new OneRequestPerConnection(false);
             AnswerClient client = client()) {
            assertThatThrownBy(() -> client.post(upstream.uri(), Map.of(), BODY, "upstream"))
                    .isInstanceOfSatisfying(UpstreamException.class, e -> {
                        assertThat(e.clientError().getStatus()).isEqualTo(502);
                        assertThat(e.clientError().getMessage()).contains("connection closed");
                    });
            assertThat(upstream.requestsRead()).isEqualTo(1);
            assertThat(upstream.connections()).isEqualTo(1);
        }
    }

    private static AnswerClient client() {
        return new AnswerClient(Duration.ofSeconds(2), Duration.ofSeconds(2), 256, Duration.ofSeconds(60));
    }

    /** Reads one request per connection, answers it or not, and closes the connection. */
    private static final class OneRequestPerConnection implements AutoCloseable {
        private final ServerSocket server;
        private final boolean answer;
        private final AtomicInteger connections = new AtomicInteger();
        private final AtomicInteger requestsRead = new AtomicInteger();

        OneRequestPerConnection(boolean answer) throws IOException {
            this.answer = answer;
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(this::accept, "one-request-upstream");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/v1/chat/completions");
        }

        int connections() {
            return connections.get();
        }

        int requestsRead() {
            return requestsRead.get();
        }

        private void accept() {
            while (!server.isClosed()) {
                try (Socket socket = server.accept()) {
                    connections.incrementAndGet();
                    BufferedReader reader = new BufferedReader(
                            new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
                    int length = 0;
                    String line = reader.readLine();
                    while (line != null && !(line = reader.readLine()).isEmpty()) {
                        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                            length = Integer.parseInt(line.substring("content-length:".length()).trim());
                        }
                    }
                    reader.skip(length);
                    requestsRead.incrementAndGet();
                    if (answer) {
                        OutputStream out = socket.getOutputStream();
                        out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                                + BODY.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        out.write(BODY);
                        out.flush();
                    }
                } catch (IOException e) {
                    // Closed: the test is over.
                }
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
