package org.aigateway.analytics.consumer;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import io.dropwizard.servlets.tasks.Task;
import org.aigateway.contracts.Topology;
import org.aigateway.support.broker.BrokerConnection;

import java.io.PrintWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code POST /tasks/replay-dlq?queue=<work queue|all>&limit=<n>}: moves dead letters back to their work queue. */
// Replayed messages start with a fresh attempt count; each leaves the dead-letter queue only once the broker has
// confirmed its copy on the work queue.
public class ReplayDeadLettersTask extends Task {
    private static final int DEFAULT_LIMIT = 1000;
    private static final int CHUNK = 100;
    private static final long CONFIRM_TIMEOUT_MS = 10_000;

    private final BrokerConnection broker;

    public ReplayDeadLettersTask(BrokerConnection broker) {
        super("replay-dlq");
        this.broker = broker;
    }

    @Override
    public void execute(Map<String, List<String>> parameters, PrintWriter output) throws Exception {
        String queue = single(parameters, "queue", "all");
        List<String> queues = "all".equals(queue) ? Topology.WORK_QUEUES : List.of(queue);
        if (!Topology.WORK_QUEUES.containsAll(queues)) {
            throw new IllegalArgumentException("queue must be one of " + Topology.WORK_QUEUES + " or all");
        }
        int limit = limit(single(parameters, "limit", String.valueOf(DEFAULT_LIMIT)));
        int total = 0;
        try (Channel channel = broker.createChannel()) {
            channel.confirmSelect();
            for (String workQueue : queues) {
                int moved = replay(channel, workQueue, limit - total);
                total += moved;
                output.printf("%s: replayed %d message(s) to %s%n", Topology.deadLetterQueue(workQueue), moved,
                        workQueue);
            }
        }
        output.printf("replayed %d%n", total);
        output.flush();
    }

    private static int replay(Channel channel, String workQueue, int limit) throws Exception {
        String deadLetters = Topology.deadLetterQueue(workQueue);
        // Only what is there now: a message that fails again while this runs must not be replayed in a loop.
        long available = Math.min(limit, channel.queueDeclarePassive(deadLetters).getMessageCount());
        int moved = 0;
        while (moved < available) {
            long lastTag = -1;
            int chunk = 0;
            while (chunk < CHUNK && moved + chunk < available) {
                GetResponse response = channel.basicGet(deadLetters, false);
                if (response == null) {
                    break;
                }
                channel.basicPublish("", workQueue, fresh(response.getProps()), response.getBody());
                lastTag = response.getEnvelope().getDeliveryTag();
                chunk++;
            }
            if (chunk == 0) {
                break;
            }
            channel.waitForConfirmsOrDie(CONFIRM_TIMEOUT_MS);
            channel.basicAck(lastTag, true);
            moved += chunk;
        }
        return moved;
    }

    private static AMQP.BasicProperties fresh(AMQP.BasicProperties properties) {
        Map<String, Object> headers = properties.getHeaders() == null
                ? new HashMap<>() : new HashMap<>(properties.getHeaders());
        headers.remove(Topology.ATTEMPTS_HEADER);
        headers.remove(Topology.DEAD_LETTER_REASON_HEADER);
        headers.remove(Topology.ORIGINAL_QUEUE_HEADER);
        headers.keySet().removeIf(key -> key.equals("x-death") || key.startsWith("x-first-death-")
                || key.startsWith("x-last-death-"));
        return properties.builder().headers(headers).deliveryMode(2).build();
    }

    private static String single(Map<String, List<String>> parameters, String name, String fallback) {
        List<String> values = parameters.get(name);
        return values == null || values.isEmpty() || values.get(0).isBlank() ? fallback : values.get(0).strip();
    }

    private static int limit(String value) {
        try {
            int limit = Integer.parseInt(value);
            if (limit < 1) {
                throw new IllegalArgumentException("limit must be at least 1");
            }
            return limit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("limit must be a whole number", e);
        }
    }
}
