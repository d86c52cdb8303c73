package org.aigateway.gateway.provider;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.validation.constraints.NotEmpty;

import java.net.URI;

/** An OpenAI-compatible upstream (OpenAI, Ollama, vLLM, OpenRouter, …) at a base URL ending in {@code /v1}. */
public class OpenAiProviderFactory extends HttpProviderFactory {
    @NotEmpty
    private String baseUrl;

    @JsonProperty
    public String getBaseUrl() {
        return baseUrl;
    }

    @JsonProperty
    public void setBaseUrl(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    @Override
    public ChatProvider build(String name, ObjectMapper mapper, UpstreamConnectionsFactory connections) {
        return new OpenAiCompatibleProvider(name, upstreamClients(connections), URI.create(withoutTrailingSlash(baseUrl)
                + "/chat/completions"), apiKey(), getReadTimeout().toJavaDuration(), mapper, streamTimers(name));
    }
}
