package org.aigateway.gateway.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dropwizard.lifecycle.Managed;

/**
 * Something that answers OpenAI Chat Completions requests: an upstream API or the built-in mock. Stopping it closes
 * the connections it keeps.
 */
public interface ChatProvider extends Managed {
    /**
     * Sends one non-streaming completion request.
     *
     * @param request the client's request body with {@code model} already set to the upstream model name
     */
    ProviderResponse complete(ObjectNode request) throws UpstreamException;

    /**
     * Starts one streaming completion and returns at once; no thread waits for the stream. The listener is called
     * from the provider's own threads: {@link StreamListener#onOpen()} once the upstream accepted, then chunks in order,
     * then exactly one of {@link StreamListener#onComplete()} or {@link StreamListener#onError(UpstreamException)}
     * (which may also come instead of {@code onOpen}).
     *
     * @param request the client's request body with {@code model} set to the upstream model name and
     *                {@code stream_options.include_usage} set to true
     */
    ChatStream stream(ObjectNode request, StreamListener listener);
}
