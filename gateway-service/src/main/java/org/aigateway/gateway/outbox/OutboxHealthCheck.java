package org.aigateway.gateway.outbox;

import com.codahale.metrics.health.HealthCheck;

import java.time.Duration;
import java.time.Instant;

/** Unhealthy when the oldest unsent event has waited longer than allowed: events are not reaching the broker. */
public class OutboxHealthCheck extends HealthCheck {
    private final OutboxDao outbox;
    private final Duration maxAge;

    public OutboxHealthCheck(OutboxDao outbox, Duration maxAge) {
        this.outbox = outbox;
        this.maxAge = maxAge;
    }

    @Override
    protected Result check() {
        Instant oldest = outbox.oldestUnsentOrNull();
        if (oldest == null) {
            return Result.healthy("no unsent events");
        }
        Duration age = Duration.between(oldest, Instant.now());
        long backlog = outbox.countUnsent();
        return age.compareTo(maxAge) <= 0
                ? Result.healthy("%d unsent, oldest %d s", backlog, age.toSeconds())
                : Result.unhealthy("%d unsent, oldest %d s (limit %d s)", backlog, age.toSeconds(), maxAge.toSeconds());
    }
}
