package org.aigateway.gateway.provider;

import java.net.http.HttpClient;

/**
 * A provider's two HTTP clients, each with its own pool of persistent connections: whole answers are waited for on
 * the requesting thread ({@link AnswerClient}); streams go through Java's HTTP client, which holds no thread while
 * a stream is open, with a thread pool of its own, because delivering a chunk to a client that reads slowly may
 * block, and must not hold up every other connection to the upstream.
 */
public record UpstreamClients(AnswerClient answers, HttpClient streams) implements AutoCloseable {
    /** Closes the connections of whole answers; Java's HTTP client closes its own once unused. */
    @Override
    public void close() {
        answers.close();
    }
}
