package org.aigateway.support.broker;

import com.codahale.metrics.health.HealthCheck;

/**
 * Unhealthy while the broker connection is down, including before the first connect succeeds, and while its setup
 * (topology, consumers) has not succeeded on the current connection.
 */
public class BrokerHealthCheck extends HealthCheck {
    private final BrokerConnection connection;

    public BrokerHealthCheck(BrokerConnection connection) {
        this.connection = connection;
    }

    @Override
    protected Result check() {
        if (!connection.isOpen()) {
            return Result.unhealthy("connection %s to RabbitMQ is not open", connection.getName());
        }
        if (!connection.isReady()) {
            String failure = connection.setupFailure();
            return Result.unhealthy("connection %s is open but its setup has not succeeded yet%s",
                    connection.getName(), failure == null ? "" : ": " + failure);
        }
        return Result.healthy("connection %s open and set up", connection.getName());
    }
}
