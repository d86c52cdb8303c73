package org.aigateway.analytics.consumer;

import com.rabbitmq.client.Channel;

/**
 * One channel consuming one queue. Delivery tags are only meaningful on the channel that issued them, so every
 * delivery carries its subscription, and deliveries of a replaced subscription are never acknowledged.
 */
final class Subscription {
    private final Channel channel;
    private final long generation;
    /** Set once the broker confirmed the consumer; cleared when it cancels it or the channel shuts down. */
    private volatile boolean consuming;
    private volatile boolean ended;

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

    /**
     * True while the broker delivers to this subscription. A channel reopened by the client's automatic recovery is
     * open but has no consumer on it, so an open channel alone does not count.
     */
    boolean isConsuming() {
        return consuming && !ended && channel.isOpen();
    }

    void started() {
        consuming = true;
    }

    /** The broker cancelled the consumer or the channel shut down: this subscription delivers nothing more. */
    void ended() {
        ended = true;
    }

    /** Closes the channel without waiting; the broker requeues whatever it had delivered and not been acked. */
    void abort() {
        ended = true;
        try {
            channel.abort();
        } catch (Exception ignored) {
            // Already closed, or the connection is gone: either way nothing is left to release.
        }
    }
}
