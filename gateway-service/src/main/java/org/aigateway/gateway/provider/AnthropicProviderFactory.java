package org.aigateway.gateway.provider;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;

import java.net.URI;

/** Anthropic's Messages API, spoken to in its own format and translated to and from OpenAI's. */
public class AnthropicProviderFactory extends HttpProviderFactory {
    @NotEmpty
    private String baseUrl = "https://api.anthropic.com";

    @NotEmpty
    private String version = "2023-06-01";

    @Min(1)
    private long defaultMaxTokens = 4096;

    /** The API root, without {@code /v1}. */
    @JsonProperty
    public String getBaseUrl() {
        return baseUrl;
    }

    @JsonProperty
    public void setBaseUrl(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    /** Sent as the {@code anthropic-version} header. */
    @JsonProperty
    public String getVersion() {
        return version;
    }

    @JsonProperty
    public void setVersion(String version) {
        this.version = version;
    }

    /** The Messages API requires {@code max_tokens}; requests that set neither limit get this one. */
    @JsonProperty
    public long getDefaultMaxTokens() {
        return defaultMaxTokens;
    }

    @JsonProperty
    public void setDefaultMaxTokens(long defaultMaxTokens) {
        this.defaultMaxTokens = defaultMaxTokens;
    }

    @Override
    public ChatProvider build(String name, ObjectMapper mapper, UpstreamConnectionsFactory connections) {
        return new AnthropicProvider(name, upstreamClients(connections),
                URI.create(withoutTrailingSlash(baseUrl) + "/v1/messages"), apiKey(), version,
                getReadTimeout().toJavaDuration(), new AnthropicTranslator(name, mapper, defaultMaxTokens), mapper,
                streamTimers(name));
    }
}
