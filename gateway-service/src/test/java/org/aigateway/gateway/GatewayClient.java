package org.aigateway.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.IntSupplier;

/** Talks to a running gateway over plain HTTP/1.1, with exact control over body bytes, framing and headers. */
final class GatewayClient {
    private final HttpClient http;
    private final IntSupplier port;
    private final ObjectMapper mapper;

    GatewayClient(IntSupplier port, ObjectMapper mapper) {
        this(port, mapper, Duration.ofSeconds(5));
    }

    /** @param connectTimeout longer for tests that open hundreds of connections at once on a busy machine */
    GatewayClient(IntSupplier port, ObjectMapper mapper, Duration connectTimeout) {
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .build();
        this.port = port;
        this.mapper = mapper;
    }

    HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port.getAsInt() + pathAndQuery))
                .timeout(Duration.ofSeconds(30));
    }

    /** A chat completion with the key as a bearer token and a body of known length. */
    HttpResponse<String> chat(String key, String json) {
        return chat(key, json.getBytes(StandardCharsets.UTF_8));
    }

    HttpResponse<String> chat(String key, byte[] body) {
        return send(request("/v1/chat/completions")
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    /** The same, sent with chunked transfer encoding, so the server learns the size only by reading. */
    HttpResponse<String> chatChunked(String key, byte[] body) {
        return send(request("/v1/chat/completions")
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))));
    }

    HttpResponse<String> history(String key, String id) {
        return send(request("/v1/history/" + id).header("Authorization", "Bearer " + key).GET());
    }

    HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Sends a request whose body the caller reads, and may stop reading, as it arrives. */
    HttpResponse<java.io.InputStream> sendForStream(HttpRequest.Builder request) {
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofInputStream()).join();
    }

    /** Sends a request whose body is read line by line as it arrives, as a streaming client does. */
    HttpResponse<java.util.stream.Stream<String>> sendForLines(HttpRequest.Builder request) {
        return sendForLinesAsync(request).join();
    }

    java.util.concurrent.CompletableFuture<HttpResponse<java.util.stream.Stream<String>>> sendForLinesAsync(
            HttpRequest.Builder request) {
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofLines());
    }

    JsonNode json(HttpResponse<String> response) {
        try {
            return mapper.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("response is not JSON: " + response.body(), e);
        }
    }
}
