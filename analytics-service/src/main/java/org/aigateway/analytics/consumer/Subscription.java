package org.aigateway.analytics.consumer;

import com.rabbitmq.client.Channel;

/**
 * One channel consuming one queue. Delivery tags are only meaningful on the channel that issued them, so every
 * delivery carries its subscription, and deliveries of a replaced subscription are never acknowledged.
 */
final class Subscription {
    private final Channel channel;
    private final long generation;

    Subscription(Channel channel, long generation) {
        this.channel = channel;
        this.generation = generation;
    }

    Channel channel() {
        return channel;
    }

    long generation() {
        return generation;
    }

    boolean isOpen() {
        return channel.isOpen();
    }

    /** Closes the channel without waiting; the broker requeues whatever it had delivered and not been acked. */
    void abort() {
        try {
            channel.abort();
        } catch (Exception ignored) {
            // Already closed, or the connection is gone: either way nothing is left to release.
        }
    }
}
