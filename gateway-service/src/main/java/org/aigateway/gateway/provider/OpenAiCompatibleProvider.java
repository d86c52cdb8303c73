package org.aigateway.gateway.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aigateway.support.errors.ApiException;
import org.aigateway.support.errors.ErrorBody;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/** Calls an OpenAI-compatible {@code /chat/completions} endpoint. */
public class OpenAiCompatibleProvider implements ChatProvider {
    private final String name;
    private final HttpClient client;
    private final URI endpoint;
    private final String apiKey;
    private final Duration readTimeout;
    private final ObjectMapper mapper;

    public OpenAiCompatibleProvider(String name, HttpClient client, URI endpoint, String apiKey, Duration readTimeout,
                                    ObjectMapper mapper) {
        this.name = name;
        this.client = client;
        this.endpoint = endpoint;
        this.apiKey = apiKey;
        this.readTimeout = readTimeout;
        this.mapper = mapper;
    }

    @Override
    public ProviderResponse complete(ObjectNode request) throws UpstreamException {
        HttpResponse<byte[]> response = send(request);
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            JsonNode body = parse(response.body());
            if (body == null || !body.isObject() || !body.path("choices").isArray()) {
                throw UpstreamException.badResponse(name, status, "expected a chat.completion object");
            }
            return new ProviderResponse((ObjectNode) body, TokenUsage.fromOpenAi(body.get("usage")));
        }
        throw upstreamError(status, parse(response.body()));
    }

    private HttpResponse<byte[]> send(ObjectNode request) throws UpstreamException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(endpoint)
                .timeout(readTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json");
        if (apiKey != null) {
            builder.header("Authorization", "Bearer " + apiKey);
        }
        try {
            builder.POST(HttpRequest.BodyPublishers.ofByteArray(mapper.writeValueAsBytes(request)));
            return client.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpConnectTimeoutException e) {
            throw UpstreamException.unreachable(name, "connect timed out");
        } catch (HttpTimeoutException e) {
            throw UpstreamException.timeout(name);
        } catch (IOException e) {
            throw UpstreamException.unreachable(name, e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw UpstreamException.unreachable(name, "interrupted");
        }
    }

    private UpstreamException upstreamError(int status, JsonNode body) {
        JsonNode error = body == null ? null : body.path("error");
        if (status == 401 || status == 403) {
            // The upstream rejected the gateway's own provider key: not the client's fault, and its message may echo the key.
            return new UpstreamException(new ApiException(502, "Upstream provider '" + name
                    + "' rejected the gateway's credentials (HTTP " + status + ").", "api_error", null,
                    "upstream_auth_failed"), status);
        }
        int clientStatus = status >= 400 && status <= 599 ? status : 502;
        String message = error != null && error.path("message").isTextual()
                ? error.path("message").asText()
                : "Upstream provider '" + name + "' answered HTTP " + status + ".";
        String type = error != null && error.path("type").isTextual()
                ? error.path("type").asText() : ErrorBody.typeFor(clientStatus);
        String param = error != null && error.path("param").isTextual() ? error.path("param").asText() : null;
        String code = error != null && error.path("code").isValueNode() && !error.path("code").isNull()
                ? error.path("code").asText() : null;
        return new UpstreamException(new ApiException(clientStatus, message, type, param, code), status);
    }

    private JsonNode parse(byte[] body) {
        try {
            return body.length == 0 ? null : mapper.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public ChatStream stream(ObjectNode request, StreamListener listener) {
        listener.onError(UpstreamException.badResponse("pending", 0, "streaming is being wired"));
        return () -> { };
    }
}
