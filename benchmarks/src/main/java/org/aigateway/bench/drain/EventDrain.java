package org.aigateway.bench.drain;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import org.aigateway.bench.Args;
import org.aigateway.contracts.Topology;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Stands in for analytics while the gateway is measured alone: takes every message off the gateway's work queues
 * and drops it, so the queues stay short and the broker confirms the gateway's publishes as it would in production
 * (a full queue that has to drop its oldest message on every publish confirms far more slowly).
 */
public final class EventDrain {
    private EventDrain() {
    }

    public static void run(Args args) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(args.string("amqp-uri"));
        AtomicLong drained = new AtomicLong();
        try (Connection connection = factory.newConnection("bench:event-drain")) {
            Channel channel = connection.createChannel();
            Topology.declare(channel);
            for (String queue : Topology.WORK_QUEUES) {
                channel.basicConsume(queue, true, new DefaultConsumer(channel) {
                    @Override
                    public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties,
                                               byte[] body) {
                        drained.incrementAndGet();
                    }
                });
            }
            System.err.println("draining " + Topology.WORK_QUEUES);
            Runtime.getRuntime().addShutdownHook(new Thread(
                    () -> System.err.println("drained " + drained.get() + " messages")));
            new CountDownLatch(1).await();
        }
    }
}
