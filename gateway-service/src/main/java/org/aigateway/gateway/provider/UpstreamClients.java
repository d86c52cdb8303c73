package org.aigateway.gateway.provider;

import java.net.http.HttpClient;

/**
 * A provider's two HTTP clients, each with its own pool of persistent connections. Whole answers are read on the
 * client's selector thread: no hand-off to a pool thread and back per request (at concurrency 16 that hand-off was
 * about a quarter of the gateway's CPU time per request). Streams keep a thread pool, because delivering a chunk to
 * a client that reads slowly may block, and must not hold up every other connection to the upstream.
 */
public record UpstreamClients(HttpClient answers, HttpClient streams) {
}
