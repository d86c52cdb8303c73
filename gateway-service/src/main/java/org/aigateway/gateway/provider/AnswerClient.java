package org.aigateway.gateway.provider;

import org.apache.hc.client5.http.HttpRequestRetryStrategy;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.DefaultHttpClientConnectionOperator;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.io.ConnectionEndpoint;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.client5.http.ssl.TlsSocketStrategy;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.EndpointDetails;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.NoHttpResponseException;
import org.apache.hc.core5.http.URIScheme;
import org.apache.hc.core5.http.config.RegistryBuilder;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.pool.PoolReusePolicy;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

import java.io.IOException;
import java.net.ProxySelector;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * Sends requests for whole answers, each on the thread that asks and waits for it: a blocking call on a pooled
 * connection. Java's HTTP client hands every exchange to its selector thread and back; at concurrency 1 that cost
 * the gateway about 0.2 ms of latency per request, and at concurrency 64 a fifth of its CPU per request.
 * Connections are opened as needed (at most one per waiting thread); once a request is done its connection is kept
 * for the next one unless {@code maxIdle} are idle already. Every {@code idleTimeout} those idle for longer than that
 * are closed (so one may stay up to twice as long). Like Java's HTTP client it uses the JVM's proxy selector and its
 * default TLS context (trust and key stores from the {@code javax.net.ssl} properties).
 */
public final class AnswerClient implements AutoCloseable {
    /** A connection unused for longer than this is checked before it is used again (the check waits 1 ms). */
    private static final TimeValue VALIDATE_AFTER_INACTIVITY = TimeValue.ofSeconds(2);
    /** JSON is UTF-8 by definition (RFC 8259), so without a charset parameter, as Java's HTTP client sent it. */
    private static final ContentType JSON = ContentType.create("application/json");

    /** What the upstream answered. */
    record Answer(int status, byte[] body) {
    }

    private final CloseableHttpClient client;

    /**
     * @param readTimeout the longest wait for the answer to start, and then for each next part of it
     */
    AnswerClient(Duration connectTimeout, Duration readTimeout, int maxIdle, Duration idleTimeout) {
        IdleCappedConnectionManager connections = new IdleCappedConnectionManager(maxIdle);
        connections.setMaxTotal(Integer.MAX_VALUE);
        connections.setDefaultMaxPerRoute(Integer.MAX_VALUE);
        connections.setDefaultConnectionConfig(ConnectionConfig.custom()
                .setConnectTimeout(Timeout.of(connectTimeout))
                .setSocketTimeout(Timeout.of(readTimeout))
                .setValidateAfterInactivity(VALIDATE_AFTER_INACTIVITY)
                .build());
        this.client = HttpClients.custom()
                .setConnectionManager(connections)
                .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(Timeout.of(readTimeout)).build())
                .evictIdleConnections(TimeValue.of(idleTimeout))
                .setProxySelector(ProxySelector.getDefault())
                .setRetryStrategy(new StaleConnectionRetry())
                .disableRedirectHandling()
                .disableCookieManagement()
                .disableContentCompression()
                .build();
    }

    /**
     * Posts the JSON body, accepting a JSON answer, and returns the answer, whatever its status.
     *
     * @param headers  the upstream's own headers (credentials, API version)
     * @param provider the provider's name, for the error a network failure becomes
     */
    Answer post(URI endpoint, Map<String, String> headers, byte[] json, String provider) throws UpstreamException {
        HttpPost post = new HttpPost(endpoint);
        post.setHeader("Accept", "application/json");
        headers.forEach(post::setHeader);
        post.setEntity(new ByteArrayEntity(json, JSON));
        try {
            return client.execute(post, response -> new Answer(response.getCode(),
                    response.getEntity() == null ? new byte[0] : EntityUtils.toByteArray(response.getEntity())));
        } catch (IOException e) {
            throw UpstreamException.ioFailure(provider, e);
        }
    }

    /** Closes every pooled connection; a request still running fails. */
    @Override
    public void close() {
        client.close(CloseMode.GRACEFUL);
    }

    /**
     * Sends a request again only when a kept-alive connection turned out to be closed by the upstream: it ended
     * without a byte of answer on a connection that had served requests before, which is how an upstream closing an
     * idle connection, or restarting, meets a request sent at that moment; it never read the request. Any other
     * failure is not retried, since the upstream may have started (and billed) the first one.
     */
    private static final class StaleConnectionRetry implements HttpRequestRetryStrategy {
        /** One pooled connection after another may have been closed by a restarted upstream. */
        private static final int MAX_ATTEMPTS = 4;

        @Override
        public boolean retryRequest(HttpRequest request, IOException exception, int execCount, HttpContext context) {
            EndpointDetails connection = HttpCoreContext.castOrCreate(context).getEndpointDetails();
            // The count includes this request, so more than one means the connection was reused.
            return exception instanceof NoHttpResponseException && execCount < MAX_ATTEMPTS
                    && connection != null && connection.getRequestCount() > 1;
        }

        @Override
        public boolean retryRequest(HttpResponse response, int execCount, HttpContext context) {
            return false;
        }

        @Override
        public TimeValue getRetryInterval(HttpResponse response, int execCount, HttpContext context) {
            return TimeValue.ZERO_MILLISECONDS;
        }
    }

    /** Closes a connection given back while {@code maxIdle} connections are idle already, instead of keeping it. */
    private static final class IdleCappedConnectionManager extends PoolingHttpClientConnectionManager {
        private final int maxIdle;

        IdleCappedConnectionManager(int maxIdle) {
            // What PoolingHttpClientConnectionManagerBuilder.useSystemProperties() builds; the builder cannot make a
            // subclass.
            super(new DefaultHttpClientConnectionOperator(null, null, RegistryBuilder.<TlsSocketStrategy>create()
                            .register(URIScheme.HTTPS.id, DefaultClientTlsStrategy.createSystemDefault()).build()),
                    PoolConcurrencyPolicy.STRICT, PoolReusePolicy.LIFO, null, null);
            this.maxIdle = maxIdle;
        }

        /** Synchronized so that connections given back at the same moment cannot all see room for one more. */
        @Override
        public synchronized void release(ConnectionEndpoint endpoint, Object state, TimeValue keepAlive) {
            // A null keep-alive closes the connection (PoolingHttpClientConnectionManager#release).
            super.release(endpoint, state, getTotalStats().getAvailable() >= maxIdle ? null : keepAlive);
        }
    }
}
