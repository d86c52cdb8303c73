package org.aigateway.gateway.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aigateway.support.errors.ApiException;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

/** Calls an OpenAI-compatible {@code /chat/completions} endpoint. */
public class OpenAiCompatibleProvider implements ChatProvider {
    private final String name;
    private final UpstreamClients clients;
    private final URI endpoint;
    private final Duration readTimeout;
    private final ObjectMapper mapper;
    private final ScheduledExecutorService streamTimers;
    /** The upstream's own headers, sent with whole answers and streams alike. */
    private final Map<String, String> headers;

    public OpenAiCompatibleProvider(String name, UpstreamClients clients, URI endpoint, String apiKey,
                                    Duration readTimeout, ObjectMapper mapper, ScheduledExecutorService streamTimers) {
        this.name = name;
        this.clients = clients;
        this.endpoint = endpoint;
        this.readTimeout = readTimeout;
        this.mapper = mapper;
        this.streamTimers = streamTimers;
        this.headers = apiKey == null ? Map.of() : Map.of("Authorization", "Bearer " + apiKey);
    }

    @Override
    public ProviderResponse complete(ObjectNode request) throws UpstreamException {
        AnswerClient.Answer response = clients.answers().post(endpoint, headers, json(request), name);
        int status = response.status();
        if (status >= 200 && status < 300) {
            JsonNode body = parse(response.body());
            if (body == null || !body.isObject() || !body.path("choices").isArray()) {
                throw UpstreamException.badResponse(name, status, "expected a chat.completion object");
            }
            return new ProviderResponse((ObjectNode) body, TokenUsage.fromOpenAi(body.get("usage")));
        }
        throw upstreamError(status, response.body());
    }

    @Override
    public ChatStream stream(ObjectNode request, StreamListener listener) {
        return UpstreamEventStream.start(name, clients.streams(),
                UpstreamEventStream.request(endpoint, headers, json(request), readTimeout), new Protocol(), listener,
                streamTimers, readTimeout);
    }

    private byte[] json(ObjectNode request) {
        try {
            return mapper.writeValueAsBytes(request);
        } catch (IOException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    /** Closes the connections kept for whole answers. */
    @Override
    public void stop() {
        clients.close();
    }

    /** An error answer in OpenAI's shape (or none at all) as the failure to report. */
    private UpstreamException upstreamError(int status, byte[] body) {
        JsonNode parsed = parse(body);
        JsonNode error = parsed == null ? null : parsed.path("error");
        return UpstreamException.rejected(name, status, text(error, "message"), text(error, "type"),
                text(error, "param"), code(error));
    }

    private static String text(JsonNode error, String field) {
        return error != null && error.path(field).isTextual() ? error.path(field).asText() : null;
    }

    private static String code(JsonNode error) {
        return error != null && error.path("code").isValueNode() && !error.path("code").isNull()
                ? error.path("code").asText() : null;
    }

    private JsonNode parse(byte[] body) {
        try {
            return body.length == 0 ? null : mapper.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * OpenAI's stream: each event is a {@code chat.completion.chunk} passed on as it is, {@code [DONE]} ends it. Usage
     * is reported once: from the usage chunk (no choices) as soon as it comes, else at the end from the last chunk
     * that carried it (some compatible servers repeat it on every chunk).
     */
    private final class Protocol implements StreamProtocol {
        private TokenUsage usage;
        private boolean usageReported;

        @Override
        public boolean onEvent(SseEventReader.Event event, Output output) throws UpstreamException {
            if (event.data().strip().equals("[DONE]")) {
                if (usage != null && !usageReported) {
                    output.usage(usage);
                }
                return true;
            }
            JsonNode chunk;
            try {
                chunk = mapper.readTree(event.data());
            } catch (IOException e) {
                throw UpstreamException.badResponse(name, 200, "a stream event is not JSON");
            }
            if (chunk == null || !chunk.isObject()) {
                throw UpstreamException.badResponse(name, 200, "a stream event is not a JSON object");
            }
            if (chunk.path("error").isObject() || event.name().equals("error")) {
                // An error reported after the 200: the client still gets the upstream's message.
                JsonNode error = chunk.path("error").isObject() ? chunk.get("error") : chunk;
                String message = text(error, "message");
                String code = code(error);
                throw new UpstreamException(new ApiException(502,
                        message != null ? message : "Upstream provider '" + name + "' reported an error mid-stream.",
                        "api_error", null, code != null ? code : "upstream_stream_error"), 200);
            }
            output.chunk((ObjectNode) chunk);
            if (chunk.path("usage").isObject() && !usageReported) {
                usage = TokenUsage.fromOpenAi(chunk.get("usage"));
                if (chunk.path("choices").isArray() && chunk.path("choices").isEmpty()) {
                    usageReported = true;
                    output.usage(usage);
                }
            }
            return false;
        }

        @Override
        public UpstreamException rejected(int status, byte[] body) {
            return upstreamError(status, body);
        }
    }
}
