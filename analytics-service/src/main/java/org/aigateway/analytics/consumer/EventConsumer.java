package org.aigateway.analytics.consumer;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.dropwizard.lifecycle.Managed;
import org.aigateway.analytics.events.IngestDao;
import org.aigateway.contracts.Topology;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Consumes the analytics work queues, {@code consumer.workers} {@link QueueWorker}s each, re-subscribing on every
 * broker (re)connect. Its setup fails unless every worker is consuming, so the broker connection retries it.
 */
public class EventConsumer implements Managed {
    private static final long STOP_TIMEOUT_MS = 30_000;
    /** A worker holding a batch through a database outage subscribes only once that batch is settled. */
    private static final long SUBSCRIBE_TIMEOUT_MS = 10_000;

    private final ConsumerFactory config;
    private final List<QueueWorker> workers;
    private Channel topologyChannel;

    /**
     * @param subscriptionLost called when the broker cancels a consumer; it should run {@link #onConnected} again
     */
    public EventConsumer(ConsumerFactory config, EventParser parser, IngestDao ingest, DatabaseGuard database,
                         ConsumerMetrics metrics, Runnable subscriptionLost) {
        this.config = config;
        List<QueueWorker> all = new ArrayList<>();
        for (String queue : Topology.WORK_QUEUES) {
            for (int n = 1; n <= config.getWorkers(); n++) {
                String name = config.getWorkers() == 1 ? queue : queue + "-" + n;
                all.add(new QueueWorker(queue, name, config, parser, ingest, database, metrics, subscriptionLost));
            }
        }
        this.workers = List.copyOf(all);
    }

    /**
     * Register with the broker connection: declares the topology and retry queues, then subscribes every worker and
     * waits until each consumes; throws if any could not, so the connection tries the whole setup again.
     */
    public synchronized void onConnected(Connection connection)
            throws IOException, InterruptedException, TimeoutException {
        // The client's own topology recovery redeclares on the channel that first declared; one kept open gives it
        // a live channel, where a closed one would make it log a failure for every queue on each recovery.
        if (topologyChannel == null || !topologyChannel.isOpen() || topologyChannel.getConnection() != connection) {
            topologyChannel = connection.createChannel();
        }
        Topology.declare(topologyChannel);
        Topology.declareRetryQueues(topologyChannel, config.retryDelayDurations());
        CompletableFuture<?>[] subscribed = workers.stream()
                .map(worker -> worker.subscribeOn(connection))
                .toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(subscribed).get(SUBSCRIBE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IOException("a consumer could not subscribe: " + e.getCause(), e.getCause());
        }
    }

    @Override
    public void start() {
        workers.forEach(QueueWorker::start);
    }

    @Override
    public void stop() throws InterruptedException {
        for (QueueWorker worker : workers) {
            worker.stop(STOP_TIMEOUT_MS);
        }
        synchronized (this) {
            if (topologyChannel != null && topologyChannel.isOpen()) {
                try {
                    topologyChannel.abort();
                } catch (IOException e) {
                    // The connection is closing anyway.
                }
            }
        }
    }

    /**
     * Each work queue's state, by queue name: running and subscribed only if all its workers are, paused for the
     * database if any of them is.
     */
    public Map<String, QueueWorker.Status> status() {
        Map<String, QueueWorker.Status> status = new LinkedHashMap<>();
        for (QueueWorker worker : workers) {
            status.merge(worker.queue(), worker.status(), (a, b) -> new QueueWorker.Status(
                    a.running() && b.running(), a.subscribed() && b.subscribed(),
                    a.pausedForDatabase() || b.pausedForDatabase()));
        }
        return status;
    }
}
