package org.aigateway.gateway.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * How one upstream speaks in one stream: what each of its events means in OpenAI chunks, and what an error
 * response means. One instance per stream, called by one thread at a time.
 */
interface StreamProtocol {
    /** Where translated events go. */
    interface Output {
        void chunk(ObjectNode chunk);

        void usage(TokenUsage usage);
    }

    /**
     * Handles one event.
     *
     * @return true when the event ends the stream normally
     * @throws UpstreamException when the event reports an error or makes no sense
     */
    boolean onEvent(SseEventReader.Event event, Output output) throws UpstreamException;

    /** The failure an answer with a non-2xx status and this body stands for. */
    UpstreamException rejected(int status, byte[] body);
}
