package org.aigateway.gateway.provider;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDuration;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import java.util.concurrent.TimeUnit;

/**
 * How many idle connections to upstreams each HTTP client keeps for reuse, and for how long. The clients of whole
 * answers are given both when they are built; Java's HTTP client, which streams go through, reads them from system
 * properties once, when it first pools a connection, and applies them to every client in the process, so they are
 * set before any provider is built, unless the JVM was started with them.
 */
public class UpstreamConnectionsFactory {
    static final String MAX_IDLE_PROPERTY = "jdk.httpclient.connectionPoolSize";
    static final String IDLE_TIMEOUT_PROPERTY = "jdk.httpclient.keepalive.timeout";

    @Min(1)
    private int maxIdle = 256;

    @NotNull
    @MinDuration(value = 1, unit = TimeUnit.SECONDS)
    private Duration idleTimeout = Duration.seconds(60);

    @JsonProperty
    public int getMaxIdle() {
        return maxIdle;
    }

    @JsonProperty
    public void setMaxIdle(int maxIdle) {
        this.maxIdle = maxIdle;
    }

    @JsonProperty
    public Duration getIdleTimeout() {
        return idleTimeout;
    }

    @JsonProperty
    public void setIdleTimeout(Duration idleTimeout) {
        this.idleTimeout = idleTimeout;
    }

    /** Sets each of the HTTP client's two properties that is not set already (by {@code -D} on the command line). */
    public void apply() {
        setUnlessSet(MAX_IDLE_PROPERTY, Integer.toString(maxIdle));
        setUnlessSet(IDLE_TIMEOUT_PROPERTY, Long.toString(idleTimeout.toSeconds()));
    }

    private static void setUnlessSet(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }
}
