package org.aigateway.bench.pipeline;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.MessageProperties;
import org.aigateway.contracts.Topology;

import java.io.IOException;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes events to the analytics exchange the way the gateway's outbox relay does: persistent, message id = event
 * id, mandatory, with publisher confirms and a bounded window of unconfirmed messages.
 */
final class ConfirmedPublisher {
    private final Connection connection;
    private final int window;

    ConfirmedPublisher(Connection connection, int window) {
        this.connection = connection;
        this.window = window;
    }

    /** Publishes every event and returns once the broker confirmed all of them; fails on any nack or return. */
    void publishAll(List<BenchEvents.Prepared> events, String queue, Duration timeout)
            throws IOException, InterruptedException, TimeoutException {
        Semaphore permits = new Semaphore(window);
        ConcurrentNavigableMap<Long, Boolean> outstanding = new ConcurrentSkipListMap<>();
        AtomicLong nacked = new AtomicLong();
        AtomicLong returned = new AtomicLong();
        try (Channel channel = connection.createChannel()) {
            channel.confirmSelect();
            channel.addReturnListener(message -> returned.incrementAndGet());
            channel.addConfirmListener((seq, multiple) -> release(outstanding, permits, seq, multiple),
                    (seq, multiple) -> nacked.addAndGet(release(outstanding, permits, seq, multiple)));
            for (BenchEvents.Prepared event : events) {
                if (!permits.tryAcquire(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new TimeoutException("no publisher confirm within " + timeout);
                }
                AMQP.BasicProperties properties = MessageProperties.PERSISTENT_BASIC.builder()
                        .messageId(event.eventId().toString())
                        .contentType("application/json")
                        .contentEncoding("utf-8")
                        .timestamp(new Date())
                        .build();
                outstanding.put(channel.getNextPublishSeqNo(), Boolean.TRUE);
                channel.basicPublish(Topology.EXCHANGE, Topology.routingKey(queue), true, properties, event.body());
            }
            if (!permits.tryAcquire(window, timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new TimeoutException(outstanding.size() + " messages unconfirmed after " + timeout);
            }
        }
        if (nacked.get() > 0 || returned.get() > 0) {
            throw new IllegalStateException("the broker nacked " + nacked.get() + " and returned " + returned.get()
                    + " messages; the measurement is void");
        }
    }

    private static int release(ConcurrentNavigableMap<Long, Boolean> outstanding, Semaphore permits, long seq,
                               boolean multiple) {
        ConcurrentNavigableMap<Long, Boolean> confirmed = multiple ? outstanding.headMap(seq, true)
                : outstanding.subMap(seq, true, seq, true);
        int count = confirmed.size();
        confirmed.clear();
        permits.release(count);
        return count;
    }
}
