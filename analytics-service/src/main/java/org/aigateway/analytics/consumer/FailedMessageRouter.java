package org.aigateway.analytics.consumer;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import org.aigateway.contracts.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Sends a message that could not be stored where it goes next: back to its work queue through the retry queue for
 * its attempt, or to its dead-letter queue once the attempts are used up or the message can never be stored.
 */
final class FailedMessageRouter {
    private static final Logger LOG = LoggerFactory.getLogger(FailedMessageRouter.class);
    private static final int MAX_REASON_LENGTH = 500;

    private final String queue;
    private final ConsumerFactory config;
    private final ConsumerMetrics metrics;

    FailedMessageRouter(String queue, ConsumerFactory config, ConsumerMetrics metrics) {
        this.queue = queue;
        this.config = config;
        this.metrics = metrics;
    }

    /** For a message that no attempt could ever store (bad JSON, missing fields, negative numbers). */
    void deadLetter(Channel channel, ReceivedMessage message, String reason) throws IOException {
        publishToDeadLetterQueue(channel, message, attemptsOf(message), reason);
    }

    /** For a message whose attempt just failed; counts the attempt in its own header. */
    void retryOrDeadLetter(Channel channel, ReceivedMessage message, String reason) throws IOException {
        int attempts = attemptsOf(message) + 1;
        if (attempts >= config.getMaxAttempts()) {
            publishToDeadLetterQueue(channel, message, attempts,
                    "failed " + attempts + " attempt(s), last: " + reason);
            return;
        }
        Duration delay = config.delayAfterAttempt(attempts);
        String retryQueue = Topology.retryQueue(queue, delay);
        channel.basicPublish("", retryQueue, withHeaders(message, attempts, Map.of()), message.body());
        metrics.retried().mark();
        LOG.info("{}: attempt {} of a message failed ({}); retrying in {} ms", queue, attempts, reason,
                delay.toMillis());
    }

    private void publishToDeadLetterQueue(Channel channel, ReceivedMessage message, int attempts, String reason)
            throws IOException {
        String shortReason = reason.length() > MAX_REASON_LENGTH ? reason.substring(0, MAX_REASON_LENGTH) : reason;
        channel.basicPublish("", Topology.deadLetterQueue(queue), withHeaders(message, attempts, Map.of(
                Topology.DEAD_LETTER_REASON_HEADER, shortReason,
                Topology.ORIGINAL_QUEUE_HEADER, queue)), message.body());
        metrics.deadLettered().mark();
        LOG.warn("{}: message dead-lettered after {} attempt(s): {}", queue, attempts, shortReason);
    }

    private static AMQP.BasicProperties withHeaders(ReceivedMessage message, int attempts, Map<String, Object> extra) {
        AMQP.BasicProperties original = message.properties();
        Map<String, Object> headers = new HashMap<>();
        if (original != null && original.getHeaders() != null) {
            headers.putAll(original.getHeaders());
        }
        headers.put(Topology.ATTEMPTS_HEADER, attempts);
        headers.putAll(extra);
        AMQP.BasicProperties.Builder builder = original == null ? new AMQP.BasicProperties.Builder()
                : original.builder();
        // A per-message TTL would let a dead letter expire before anyone looks at it.
        return builder.headers(headers).deliveryMode(2).expiration(null).build();
    }

    static int attemptsOf(ReceivedMessage message) {
        AMQP.BasicProperties properties = message.properties();
        Object value = properties == null || properties.getHeaders() == null
                ? null : properties.getHeaders().get(Topology.ATTEMPTS_HEADER);
        if (value instanceof Number number) {
            return Math.max(0, number.intValue());
        }
        if (value != null) {
            try {
                return Math.max(0, Integer.parseInt(value.toString().trim()));
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return 0;
    }
}
