package org.aigateway.gateway.provider;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.util.Duration;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/** The built-in offline provider: deterministic answers, no network, optional simulated latency and stream pacing. */
public class MockProviderFactory implements ProviderFactory {
    @NotNull
    private Duration latency = Duration.milliseconds(0);

    @Min(1)
    private int streamChunks = 8;

    @NotNull
    private Duration streamInterval = Duration.milliseconds(0);

    @Min(1)
    private int streamThreads = 2;

    @JsonProperty
    public Duration getLatency() {
        return latency;
    }

    @JsonProperty
    public void setLatency(Duration latency) {
        this.latency = latency;
    }

    /** Content chunks a streamed reply is cut into (fewer when the reply has fewer tokens). */
    @JsonProperty
    public int getStreamChunks() {
        return streamChunks;
    }

    @JsonProperty
    public void setStreamChunks(int streamChunks) {
        this.streamChunks = streamChunks;
    }

    /** Pause between streamed chunks; the first comes after {@code latency}. */
    @JsonProperty
    public Duration getStreamInterval() {
        return streamInterval;
    }

    @JsonProperty
    public void setStreamInterval(Duration streamInterval) {
        this.streamInterval = streamInterval;
    }

    /** Threads that send every stream's chunks; streams wait on timers, not on threads. */
    @JsonProperty
    public int getStreamThreads() {
        return streamThreads;
    }

    @JsonProperty
    public void setStreamThreads(int streamThreads) {
        this.streamThreads = streamThreads;
    }

    @Override
    public ChatProvider build(String name, ObjectMapper mapper, UpstreamConnectionsFactory connections) {
        return new MockProvider(mapper, latency.toJavaDuration(), streamChunks, streamInterval.toJavaDuration(),
                ProviderScheduler.create(name, streamThreads));
    }
}
