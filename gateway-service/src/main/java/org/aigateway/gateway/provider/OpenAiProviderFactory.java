package org.aigateway.gateway.provider;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.util.Duration;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

import java.net.URI;
import java.net.http.HttpClient;

/** An OpenAI-compatible upstream (OpenAI, Ollama, vLLM, OpenRouter, …) at a base URL ending in {@code /v1}. */
public class OpenAiProviderFactory implements ProviderFactory {
    @NotEmpty
    private String baseUrl;

    /** Name of the environment variable holding the upstream API key; unset for upstreams without auth. */
    private String apiKeyEnv;

    @NotNull
    private Duration connectTimeout = Duration.seconds(5);

    @NotNull
    private Duration readTimeout = Duration.seconds(120);

    @JsonProperty
    public String getBaseUrl() {
        return baseUrl;
    }

    @JsonProperty
    public void setBaseUrl(String baseUrl) {
        this.baseUrl = baseUrl;
    }

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

    @JsonProperty
    public Duration getReadTimeout() {
        return readTimeout;
    }

    @JsonProperty
    public void setReadTimeout(Duration readTimeout) {
        this.readTimeout = readTimeout;
    }

    @Override
    public ChatProvider build(String name, ObjectMapper mapper) {
        String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        String apiKey = apiKeyEnv == null ? null : System.getenv(apiKeyEnv);
        // One client per provider: it keeps a pool of persistent connections to that upstream.
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout.toJavaDuration())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        return new OpenAiCompatibleProvider(name, client, URI.create(base + "/chat/completions"),
                apiKey == null || apiKey.isBlank() ? null : apiKey, readTimeout.toJavaDuration(), mapper);
    }
}
