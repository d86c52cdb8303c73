package org.aigateway.bench.pipeline;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import org.aigateway.contracts.Topology;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The broker alone, as the limit the pipeline is compared with: the same messages through the same exchange and
 * durable queue, published with confirms on one connection and consumed on another with the analytics consumer's
 * prefetch, acknowledged (multiple) every batch, with no work in between.
 */
final class BrokerBaseline {
    private final String amqpUri;
    private final int prefetch;
    private final int ackEvery;
    private final int confirmWindow;

    BrokerBaseline(String amqpUri, int prefetch, int ackEvery, int confirmWindow) {
        this.amqpUri = amqpUri;
        this.prefetch = prefetch;
        this.ackEvery = ackEvery;
        this.confirmWindow = confirmWindow;
    }

    /** Seconds from the first publish to the last message acknowledged by the consumer. */
    double measure(List<BenchEvents.Prepared> events, Duration timeout) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(amqpUri);
        int total = events.size();
        try (Connection consumerConnection = factory.newConnection("bench:baseline-consumer");
             Connection publisherConnection = factory.newConnection("bench:baseline-publisher")) {
            Topology.declare(consumerConnection);
            Channel channel = consumerConnection.createChannel();
            channel.basicQos(prefetch);
            CountDownLatch allAcked = new CountDownLatch(1);
            AtomicInteger received = new AtomicInteger();
            AtomicLong lastAckNanos = new AtomicLong();
            channel.basicConsume(Topology.EVENTS_QUEUE, false, (tag, delivery) -> {
                int count = received.incrementAndGet();
                if (count % ackEvery == 0 || count == total) {
                    channel.basicAck(delivery.getEnvelope().getDeliveryTag(), true);
                }
                if (count == total) {
                    lastAckNanos.set(System.nanoTime());
                    allAcked.countDown();
                }
            }, tag -> { });

            long started = System.nanoTime();
            new ConfirmedPublisher(publisherConnection, confirmWindow).publishAll(events, Topology.EVENTS_QUEUE, timeout);
            if (!allAcked.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new TimeoutException("the baseline consumer got " + received.get() + " of " + total
                        + " messages within " + timeout);
            }
            if (received.get() != total) {
                throw new IllegalStateException("the baseline consumer got " + received.get() + " messages, expected "
                        + total);
            }
            channel.close();
            return (lastAckNanos.get() - started) / 1e9;
        }
    }
}
