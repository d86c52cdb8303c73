package org.aigateway.gateway.provider;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import jakarta.validation.constraints.NotNull;

import java.net.http.HttpClient;
import java.util.concurrent.ScheduledExecutorService;

/** What every provider reached over HTTP is configured with: where its key is, and how long to wait for it. */
public abstract class HttpProviderFactory implements ProviderFactory {
    /** Name of the environment variable holding the upstream API key; unset for upstreams without auth. */
    private String apiKeyEnv;

    @NotNull
    private Duration connectTimeout = Duration.seconds(5);

    @NotNull
    private Duration readTimeout = Duration.seconds(120);

    @JsonProperty
    public String getApiKeyEnv() {
        return apiKeyEnv;
    }

    @JsonProperty
    public void setApiKeyEnv(String apiKeyEnv) {
        this.apiKeyEnv = apiKeyEnv;
    }

    @JsonProperty
    public Duration getConnectTimeout() {
        return connectTimeout;
    }

    @JsonProperty
    public void setConnectTimeout(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    /** The longest wait for the response headers, and for the next line of a streamed answer. */
    @JsonProperty
    public Duration getReadTimeout() {
        return readTimeout;
    }

    @JsonProperty
    public void setReadTimeout(Duration readTimeout) {
        this.readTimeout = readTimeout;
    }

    /** The key read from {@code apiKeyEnv}, or null when there is none. */
    protected String apiKey() {
        String apiKey = apiKeyEnv == null ? null : System.getenv(apiKeyEnv);
        return apiKey == null || apiKey.isBlank() ? null : apiKey;
    }

    /** The provider's clients for whole answers and for streams. */
    protected UpstreamClients upstreamClients(UpstreamConnectionsFactory connections) {
        return new UpstreamClients(
                new AnswerClient(connectTimeout.toJavaDuration(), readTimeout.toJavaDuration(),
                        connections.getMaxIdle(), connections.getIdleTimeout().toJavaDuration()),
                HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(connectTimeout.toJavaDuration())
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .build());
    }

    /** The timer of the provider's idle stream checks; one thread serves any number of streams. */
    protected ScheduledExecutorService streamTimers(String name) {
        return ProviderScheduler.create(name, 1);
    }

    protected static String withoutTrailingSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
