package org.aigateway.gateway.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Receives one streaming completion, already translated to OpenAI's {@code chat.completion.chunk} format. */
public interface StreamListener {
    /** The upstream accepted the request; chunks follow. */
    void onOpen();

    /**
     * One {@code chat.completion.chunk} exactly as OpenAI would send it, including the final usage chunk (empty
     * {@code choices}, {@code usage} set) when the upstream reports usage.
     */
    void onChunk(ObjectNode chunk);

    /** The usage the upstream reported, in the provider's own terms; called at most once, before the end. */
    void onUsage(TokenUsage usage);

    /** The upstream finished the stream normally. */
    void onComplete();

    /** The upstream refused the request (before {@code onOpen}) or broke the stream (after it). */
    void onError(UpstreamException error);
}
