package org.aigateway.gateway.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Something that answers OpenAI Chat Completions requests: an upstream API or the built-in mock. */
public interface ChatProvider {
    /**
     * Sends one non-streaming completion request.
     *
     * @param request the client's request body with {@code model} already set to the upstream model name
     */
    ProviderResponse complete(ObjectNode request) throws UpstreamException;
}
