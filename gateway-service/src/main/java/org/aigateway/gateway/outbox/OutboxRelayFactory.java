package org.aigateway.gateway.outbox;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MaxDuration;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import java.util.concurrent.TimeUnit;

/** Settings of the outbox relay: how many unconfirmed messages may be in flight, how often to look, what to keep. */
public class OutboxRelayFactory {
    @Min(1)
    @Max(100_000)
    private int confirmWindow = 2000;

    @Min(1)
    @Max(10_000)
    private int batchSize = 500;

    @NotNull
    private Duration pollInterval = Duration.milliseconds(200);

    @NotNull
    @MaxDuration(value = 1, unit = TimeUnit.SECONDS)
    private Duration batchDelay = Duration.milliseconds(100);

    @NotNull
    private Duration confirmTimeout = Duration.seconds(30);

    @NotNull
    private Duration maxBacklogAge = Duration.minutes(5);

    @JsonProperty
    public int getConfirmWindow() {
        return confirmWindow;
    }

    @JsonProperty
    public void setConfirmWindow(int confirmWindow) {
        this.confirmWindow = confirmWindow;
    }

    @JsonProperty
    public int getBatchSize() {
        return batchSize;
    }

    @JsonProperty
    public void setBatchSize(int batchSize) {
        this.batchSize = batchSize;
    }

    @JsonProperty
    public Duration getPollInterval() {
        return pollInterval;
    }

    @JsonProperty
    public void setPollInterval(Duration pollInterval) {
        this.pollInterval = pollInterval;
    }

    /**
     * How long the relay waits, once woken by a committed request, before it reads: the events of requests that
     * finish meanwhile go out with the same read, publish round and delete.
     */
    @JsonProperty
    public Duration getBatchDelay() {
        return batchDelay;
    }

    @JsonProperty
    public void setBatchDelay(Duration batchDelay) {
        this.batchDelay = batchDelay;
    }

    /** An unconfirmed message older than this is treated as lost and published again. */
    @JsonProperty
    public Duration getConfirmTimeout() {
        return confirmTimeout;
    }

    @JsonProperty
    public void setConfirmTimeout(Duration confirmTimeout) {
        this.confirmTimeout = confirmTimeout;
    }

    /** The outbox health check fails when the oldest unsent event is older than this. */
    @JsonProperty
    public Duration getMaxBacklogAge() {
        return maxBacklogAge;
    }

    @JsonProperty
    public void setMaxBacklogAge(Duration maxBacklogAge) {
        this.maxBacklogAge = maxBacklogAge;
    }
}
