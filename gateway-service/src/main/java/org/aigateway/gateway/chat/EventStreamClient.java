package org.aigateway.gateway.chat;

import org.aigateway.support.errors.ApiException;

import java.io.IOException;
import java.util.UUID;

/** The client end of a streamed completion: an HTTP response that is either an error or a server-sent event stream. */
public interface EventStreamClient {
    /** Answers with status 200 and {@code text/event-stream}; events may follow. */
    void open(UUID historyId);

    /** Sends one {@code data:} event and flushes it; fails when the client has gone away. */
    void send(String data) throws IOException;

    /** Ends the event stream. */
    void close();

    /** Answers with an OpenAI-shaped error instead of a stream; only before {@link #open}. */
    void refuse(UUID historyId, ApiException error);
}
