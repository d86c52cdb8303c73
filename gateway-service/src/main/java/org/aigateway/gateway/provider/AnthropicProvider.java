package org.aigateway.gateway.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

/** Calls Anthropic's {@code /v1/messages}, translating requests, answers, streams and errors to OpenAI's format. */
public class AnthropicProvider implements ChatProvider {
    private final String name;
    private final UpstreamClients clients;
    private final URI endpoint;
    private final Duration readTimeout;
    private final AnthropicTranslator translator;
    private final ObjectMapper mapper;
    private final ScheduledExecutorService streamTimers;
    /** The upstream's own headers, sent with whole answers and streams alike. */
    private final Map<String, String> headers;

    public AnthropicProvider(String name, UpstreamClients clients, URI endpoint, String apiKey, String version,
                             Duration readTimeout, AnthropicTranslator translator, ObjectMapper mapper,
                             ScheduledExecutorService streamTimers) {
        this.name = name;
        this.clients = clients;
        this.endpoint = endpoint;
        this.readTimeout = readTimeout;
        this.translator = translator;
        this.mapper = mapper;
        this.streamTimers = streamTimers;
        this.headers = apiKey == null ? Map.of("anthropic-version", version)
                : Map.of("anthropic-version", version, "x-api-key", apiKey);
    }

    @Override
    public ProviderResponse complete(ObjectNode request) throws UpstreamException {
        AnswerClient.Answer response = clients.answers().post(endpoint, headers,
                json(translator.request(request)), name);
        int status = response.status();
        if (status < 200 || status >= 300) {
            throw translator.rejected(status, response.body());
        }
        JsonNode message;
        try {
            message = mapper.readTree(response.body());
        } catch (IOException e) {
            throw UpstreamException.badResponse(name, status, "expected a message object");
        }
        ObjectNode completion = translator.completion(message, status);
        return new ProviderResponse(completion, translator.usage(message.path("usage")));
    }

    @Override
    public ChatStream stream(ObjectNode request, StreamListener listener) {
        ObjectNode messages;
        try {
            messages = translator.request(request);
        } catch (UpstreamException e) {
            return UpstreamEventStream.refused(e, listener, streamTimers);
        }
        boolean includeUsage = request.path("stream_options").path("include_usage").asBoolean(false);
        return UpstreamEventStream.start(name, clients.streams(),
                UpstreamEventStream.request(endpoint, headers, json(messages), readTimeout),
                new AnthropicStreamProtocol(name, translator, mapper, includeUsage), listener, streamTimers,
                readTimeout);
    }

    private byte[] json(ObjectNode messages) {
        try {
            return mapper.writeValueAsBytes(messages);
        } catch (IOException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    /** Closes the connections kept for whole answers. */
    @Override
    public void stop() {
        clients.close();
    }
}
