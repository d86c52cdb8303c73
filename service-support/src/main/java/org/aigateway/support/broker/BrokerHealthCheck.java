package org.aigateway.support.broker;

import com.codahale.metrics.health.HealthCheck;

/** Unhealthy while the broker connection is down, including before the first connect succeeds. */
public class BrokerHealthCheck extends HealthCheck {
    private final BrokerConnection connection;

    public BrokerHealthCheck(BrokerConnection connection) {
        this.connection = connection;
    }

    @Override
    protected Result check() {
        return connection.isOpen()
                ? Result.healthy("connection %s open", connection.getName())
                : Result.unhealthy("connection %s to RabbitMQ is not open", connection.getName());
    }
}
