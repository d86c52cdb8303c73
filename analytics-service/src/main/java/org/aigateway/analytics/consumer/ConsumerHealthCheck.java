package org.aigateway.analytics.consumer;

import com.codahale.metrics.health.HealthCheck;

/**
 * Unhealthy unless the worker of one work queue is running, subscribed (the broker confirmed its consumer and has not
 * cancelled it), and not held up by the database.
 */
public class ConsumerHealthCheck extends HealthCheck {
    private final EventConsumer consumer;
    private final String queue;

    public ConsumerHealthCheck(EventConsumer consumer, String queue) {
        this.consumer = consumer;
        this.queue = queue;
    }

    @Override
    protected Result check() {
        QueueWorker.Status status = consumer.status().get(queue);
        if (status == null || !status.running()) {
            return Result.unhealthy("consumer of %s is not running", queue);
        }
        if (!status.subscribed()) {
            return Result.unhealthy("consumer of %s is not subscribed (broker not connected, setup failing, or consumer"
                    + " cancelled)", queue);
        }
        if (status.pausedForDatabase()) {
            return Result.unhealthy("consumer of %s is paused until the database answers", queue);
        }
        return Result.healthy("consuming %s", queue);
    }
}
