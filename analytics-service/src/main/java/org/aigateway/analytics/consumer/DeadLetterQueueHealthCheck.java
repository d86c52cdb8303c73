package org.aigateway.analytics.consumer;

import com.codahale.metrics.health.HealthCheck;
import com.rabbitmq.client.Channel;
import org.aigateway.contracts.Topology;
import org.aigateway.support.broker.BrokerConnection;

import java.util.ArrayList;
import java.util.List;

/** Unhealthy when a dead-letter queue holds more messages than the configured threshold: someone should look. */
public class DeadLetterQueueHealthCheck extends HealthCheck {
    private final BrokerConnection broker;
    private final long threshold;

    public DeadLetterQueueHealthCheck(BrokerConnection broker, long threshold) {
        this.broker = broker;
        this.threshold = threshold;
    }

    @Override
    protected Result check() throws Exception {
        if (!broker.isOpen()) {
            return Result.unhealthy("cannot read dead-letter queue depths: broker not connected");
        }
        List<String> over = new ArrayList<>();
        StringBuilder depths = new StringBuilder();
        try (Channel channel = broker.createChannel()) {
            for (String queue : Topology.WORK_QUEUES) {
                String deadLetters = Topology.deadLetterQueue(queue);
                // A passive declare reads the depth without creating anything.
                long depth = channel.queueDeclarePassive(deadLetters).getMessageCount();
                depths.append(depths.isEmpty() ? "" : ", ").append(deadLetters).append('=').append(depth);
                if (depth > threshold) {
                    over.add(deadLetters);
                }
            }
        }
        return over.isEmpty()
                ? Result.healthy("%s (threshold %d)", depths, threshold)
                : Result.unhealthy("%s above threshold %d: %s; inspect them, then replay-dlq", over, threshold, depths);
    }
}
