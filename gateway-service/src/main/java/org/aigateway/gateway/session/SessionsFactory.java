package org.aigateway.gateway.session;

import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDuration;
import jakarta.validation.constraints.NotNull;

import java.util.concurrent.TimeUnit;

/** Settings of sessions: how long one may be idle before it is ended, and how often to look for idle ones. */
public class SessionsFactory {
    @NotNull
    @MinDuration(value = 1, unit = TimeUnit.MILLISECONDS)
    private Duration idleTimeout = Duration.minutes(30);

    @NotNull
    @MinDuration(value = 1, unit = TimeUnit.MILLISECONDS)
    private Duration sweepInterval = Duration.minutes(1);

    /** An active session whose last request is older than this is ended by the sweeper. */
    @JsonProperty
    public Duration getIdleTimeout() {
        return idleTimeout;
    }

    @JsonProperty
    public void setIdleTimeout(Duration idleTimeout) {
        this.idleTimeout = idleTimeout;
    }

    @JsonProperty
    public Duration getSweepInterval() {
        return sweepInterval;
    }

    @JsonProperty
    public void setSweepInterval(Duration sweepInterval) {
        this.sweepInterval = sweepInterval;
    }

    public IdleSessionSweeper buildSweeper(SessionDao sessions, MetricRegistry metrics) {
        return new IdleSessionSweeper(sessions, idleTimeout.toJavaDuration(), sweepInterval.toJavaDuration(),
                metrics.meter("sessions.ended-idle"));
    }
}
