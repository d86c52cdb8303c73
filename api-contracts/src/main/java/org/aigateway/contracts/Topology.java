package org.aigateway.contracts;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * The broker topology both services agree on: one topic exchange, three durable work queues, and for each queue
 * its delayed-retry queues and its dead-letter queue. Declaring it is idempotent, so each service does it on start.
 */
public final class Topology {
    public static final String EXCHANGE = "analytics";

    public static final String EVENTS_QUEUE = "analytics.events";
    public static final String CRITICAL_QUEUE = "analytics.critical.events";
    public static final String PERFORMANCE_QUEUE = "analytics.performance.metrics";

    public static final List<String> WORK_QUEUES = List.of(EVENTS_QUEUE, CRITICAL_QUEUE, PERFORMANCE_QUEUE);

    /** Header carrying how many processing attempts a message has had; RabbitMQ 4 ignores client-set x-death. */
    public static final String ATTEMPTS_HEADER = "x-attempts";
    /** Header carrying why a message was dead-lettered. */
    public static final String DEAD_LETTER_REASON_HEADER = "x-dead-letter-reason";
    /** Header carrying the work queue a dead-lettered message came from. */
    public static final String ORIGINAL_QUEUE_HEADER = "x-original-queue";

    private Topology() {
    }

    /** The routing key a work queue is bound with; publishers route by it. */
    public static String routingKey(String workQueue) {
        return workQueue;
    }

    public static String deadLetterQueue(String workQueue) {
        return workQueue + ".dlq";
    }

    /** Retry queues are named by their delay, so changing the configured delays never redeclares a queue differently. */
    public static String retryQueue(String workQueue, Duration delay) {
        return workQueue + ".retry." + delay.toMillis() + "ms";
    }

    /** Declares the topology on a channel of its own, closed afterwards. */
    public static void declare(Connection connection) throws IOException, TimeoutException {
        try (Channel channel = connection.createChannel()) {
            declare(channel);
        }
    }

    /** Declares the exchange, the work queues and their dead-letter queues. */
    public static void declare(Channel channel) throws IOException {
        channel.exchangeDeclare(EXCHANGE, BuiltinExchangeType.TOPIC, true);
        for (String queue : WORK_QUEUES) {
            channel.queueDeclare(deadLetterQueue(queue), true, false, false, Map.of());
            // A consumer that rejects without requeue lands the message in the DLQ rather than losing it.
            channel.queueDeclare(queue, true, false, false, Map.of(
                    "x-dead-letter-exchange", "",
                    "x-dead-letter-routing-key", deadLetterQueue(queue)));
            channel.queueBind(queue, EXCHANGE, routingKey(queue));
        }
    }

    /**
     * Declares one retry queue per work queue and delay: a message published there waits out the delay, then
     * dead-letters back to its work queue through the default exchange.
     */
    public static void declareRetryQueues(Channel channel, List<Duration> delays) throws IOException {
        for (String queue : WORK_QUEUES) {
            for (Duration delay : delays) {
                channel.queueDeclare(retryQueue(queue, delay), true, false, false, Map.of(
                        "x-message-ttl", delay.toMillis(),
                        "x-dead-letter-exchange", "",
                        "x-dead-letter-routing-key", queue));
            }
        }
    }
}
