package org.aigateway.gateway.provider;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.util.Duration;
import jakarta.validation.constraints.NotNull;

/** The built-in offline provider: deterministic answers, no network, optional simulated latency. */
public class MockProviderFactory implements ProviderFactory {
    @NotNull
    private Duration latency = Duration.milliseconds(0);

    @JsonProperty
    public Duration getLatency() {
        return latency;
    }

    @JsonProperty
    public void setLatency(Duration latency) {
        this.latency = latency;
    }

    @Override
    public ChatProvider build(String name, ObjectMapper mapper) {
        return new MockProvider(mapper, latency.toJavaDuration());
    }
}
