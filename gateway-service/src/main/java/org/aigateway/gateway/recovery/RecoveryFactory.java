package org.aigateway.gateway.recovery;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDuration;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import java.util.concurrent.TimeUnit;

/**
 * The {@code recovery:} block: who this gateway instance is, and when a request still pending can no longer finish.
 */
public class RecoveryFactory {
    @NotNull
    @Pattern(regexp = "[A-Za-z0-9._:-]{1,100}", message = "must be 1 to 100 letters, digits, '.', '_', ':' or '-'")
    private String instanceId = "gateway-1";

    @NotNull
    @MinDuration(value = 1, unit = TimeUnit.MINUTES)
    private Duration maxPendingAge = Duration.minutes(30);

    @NotNull
    @MinDuration(value = 1, unit = TimeUnit.SECONDS)
    private Duration sweepInterval = Duration.minutes(1);

    /** Stable across restarts and different for every instance sharing the database. */
    @JsonProperty
    public String getInstanceId() {
        return instanceId;
    }

    @JsonProperty
    public void setInstanceId(String instanceId) {
        this.instanceId = instanceId;
    }

    /** A request pending longer than this is closed as aborted, whichever instance opened it. */
    @JsonProperty
    public Duration getMaxPendingAge() {
        return maxPendingAge;
    }

    @JsonProperty
    public void setMaxPendingAge(Duration maxPendingAge) {
        this.maxPendingAge = maxPendingAge;
    }

    @JsonProperty
    public Duration getSweepInterval() {
        return sweepInterval;
    }

    @JsonProperty
    public void setSweepInterval(Duration sweepInterval) {
        this.sweepInterval = sweepInterval;
    }
}
