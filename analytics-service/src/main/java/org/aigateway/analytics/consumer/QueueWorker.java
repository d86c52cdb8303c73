package org.aigateway.analytics.consumer;

import com.codahale.metrics.Timer;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import org.aigateway.analytics.events.IncomingEvent;
import org.aigateway.analytics.events.IngestDao;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * Drains one work queue on a channel and a thread of its own; a queue may have several such workers, each with its
 * own prefetch, so one batch is parsed and stored while another commits. The broker's callback only queues
 * deliveries; this thread batches them, stores each batch in one transaction, routes the failures, and acknowledges
 * the batch on the channel it arrived on, after the commit.
 */
final class QueueWorker {
    private static final Logger LOG = LoggerFactory.getLogger(QueueWorker.class);
    private static final Object WAKE_UP = new Object();
    private static final long CONFIRM_TIMEOUT_MS = 10_000;
    private static final long RESUBSCRIBE_BACKOFF_MS = 1_000;
    private static final long TRANSIENT_BACKOFF_MS = 100;
    /** How often a batch may fail "transiently" while the database answers before it counts as the batch's fault. */
    private static final int MAX_RETRIES_WHILE_REACHABLE = 5;

    /** What the health check reports. */
    record Status(boolean running, boolean subscribed, boolean pausedForDatabase) {
    }

    private record Parsed(ReceivedMessage message, IncomingEvent event) {
    }

    private record Failure(ReceivedMessage message, String reason, boolean storable) {
    }

    /**
     * A connection to consume on, how many times it had been lost when the subscription was asked for, and who is
     * waiting to hear whether that worked.
     */
    private record SubscribeRequest(Connection connection, long losses, CompletableFuture<Void> done) {
    }

    private final String queue;
    /** The queue, followed by the worker's number when the queue has several; names the thread and log lines. */
    private final String name;
    private final ConsumerFactory config;
    private final EventParser parser;
    private final IngestDao ingest;
    private final DatabaseGuard database;
    private final FailedMessageRouter router;
    private final ConsumerMetrics metrics;
    private final BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    private final Runnable subscriptionLost;
    private final AtomicReference<SubscribeRequest> pendingSubscribe = new AtomicReference<>();
    /** Connection losses seen on this worker's channels. */
    private final AtomicLong connectionLosses = new AtomicLong();
    private volatile Subscription subscription;
    private volatile boolean running;
    private volatile boolean pausedForDatabase;
    private volatile Thread thread;
    private long generations;
    private long lastSubscribeNanos;

    /**
     * @param subscriptionLost called when the broker cancels this worker's consumer (its queue was deleted, say), so
     *                         the topology is declared and the consumer subscribed again
     */
    QueueWorker(String queue, String name, ConsumerFactory config, EventParser parser, IngestDao ingest,
                DatabaseGuard database, ConsumerMetrics metrics, Runnable subscriptionLost) {
        this.queue = queue;
        this.name = name;
        this.subscriptionLost = subscriptionLost;
        this.config = config;
        this.parser = parser;
        this.ingest = ingest;
        this.database = database;
        this.router = new FailedMessageRouter(queue, config, metrics);
        this.metrics = metrics;
    }

    String queue() {
        return queue;
    }

    void start() {
        running = true;
        Thread worker = new Thread(this::run, "analytics-consumer-" + name);
        worker.setDaemon(true);
        thread = worker;
        worker.start();
    }

    /**
     * Asks the worker thread to consume on this connection, replacing its current channel unless that already
     * consumes there. The result completes once the broker accepted the consumer, or exceptionally if it refused.
     */
    CompletableFuture<Void> subscribeOn(Connection connection) {
        SubscribeRequest request = new SubscribeRequest(connection, connectionLosses.get(), new CompletableFuture<>());
        SubscribeRequest replaced = pendingSubscribe.getAndSet(request);
        if (replaced != null) {
            request.done().whenComplete((ignored, failure) -> {
                if (failure == null) {
                    replaced.done().complete(null);
                } else {
                    replaced.done().completeExceptionally(failure);
                }
            });
        }
        inbox.offer(WAKE_UP);
        return request.done();
    }

    /** Lets the batch in hand finish, then closes the channel; the broker requeues whatever is unacknowledged. */
    void stop(long timeoutMillis) throws InterruptedException {
        running = false;
        inbox.offer(WAKE_UP);
        Thread worker = thread;
        if (worker != null) {
            worker.join(timeoutMillis);
            if (worker.isAlive()) {
                worker.interrupt();
                worker.join(1000);
            }
        }
        Subscription current = subscription;
        subscription = null;
        if (current != null) {
            current.abort();
        }
    }

    Status status() {
        Thread worker = thread;
        Subscription current = subscription;
        return new Status(running && worker != null && worker.isAlive(), current != null && current.isConsuming(),
                pausedForDatabase);
    }

    private void run() {
        while (running) {
            try {
                SubscribeRequest request = pendingSubscribe.getAndSet(null);
                if (request != null) {
                    subscribe(request);
                }
                List<ReceivedMessage> batch = nextBatch();
                if (!batch.isEmpty()) {
                    handle(batch);
                }
            } catch (InterruptedException e) {
                if (!running) {
                    break;
                }
                // A batch cut short here is unacknowledged; a fresh channel gets it redelivered instead of letting
                // the next multiple-ack cover it.
                startOver();
            } catch (ShutdownSignalException e) {
                // The connection or channel went away mid-batch: the broker redelivers everything unacknowledged,
                // and whatever this batch already committed comes back as duplicates that are skipped.
                LOG.warn("{}: channel closed before the batch was acknowledged ({}); it will be redelivered", name,
                        e.getMessage());
                startOver();
            } catch (IOException | TimeoutException | RuntimeException e) {
                LOG.error("{}: batch failed before it was acknowledged; its messages will be redelivered", name, e);
                startOver();
            }
        }
    }

    private void subscribe(SubscribeRequest request) throws InterruptedException {
        Connection connection = request.connection();
        Subscription active = subscription;
        if (active != null && active.isConsuming() && active.channel().getConnection() == connection) {
            request.done().complete(null);
            return;
        }
        // A queue that is missing or a channel the broker keeps closing must not turn into a busy loop.
        long sinceLast = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastSubscribeNanos);
        if (lastSubscribeNanos != 0 && sinceLast < RESUBSCRIBE_BACKOFF_MS) {
            Thread.sleep(RESUBSCRIBE_BACKOFF_MS - sinceLast);
        }
        // Asked for before the connection was lost (the worker was busy or pausing): the connection object recovers
        // under the same name, but the topology this request followed may not have, and a queue of that name may now
        // be another one. The setup that runs after the recovery declares the topology and asks again.
        if (connectionLosses.get() != request.losses()) {
            request.done().completeExceptionally(new IOException("the broker connection was lost after this "
                    + "subscription was asked for"));
            return;
        }
        lastSubscribeNanos = System.nanoTime();
        Subscription previous = subscription;
        subscription = null;
        if (previous != null) {
            previous.abort();
        }
        try {
            Channel channel = connection.createChannel();
            if (channel == null) {
                throw new IOException("no free channel");
            }
            channel.basicQos(config.getPrefetch());
            channel.confirmSelect();
            Subscription next = new Subscription(channel, ++generations);
            channel.addShutdownListener(cause -> {
                if (cause.isHardError()) {
                    connectionLosses.incrementAndGet();
                }
                // A channel-level error (say an ack the broker rejects) closes only this channel, and the
                // client's recovery only reopens channels after a connection failure: subscribe again here.
                if (running && subscription == next && !cause.isInitiatedByApplication() && !cause.isHardError()) {
                    LOG.warn("{}: channel closed by the broker ({}); subscribing again", name, cause.getMessage());
                    subscribeOn(connection);
                }
            });
            // Cleared by the callbacks below; set only once the broker has confirmed the consumer.
            channel.basicConsume(queue, false, new DefaultConsumer(channel) {
                @Override
                public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties,
                                           byte[] body) {
                    inbox.add(new ReceivedMessage(next, envelope.getDeliveryTag(), properties, body));
                }

                @Override
                public void handleCancel(String consumerTag) {
                    next.ended();
                    if (running && subscription == next) {
                        LOG.warn("{}: the broker cancelled the consumer (queue deleted?); setting up again", name);
                        subscriptionLost.run();
                    }
                }

                @Override
                public void handleShutdownSignal(String consumerTag, ShutdownSignalException cause) {
                    next.ended();
                }
            });
            next.started();
            subscription = next;
            LOG.info("{}: consuming with prefetch {}, batches of up to {} in {}", name, config.getPrefetch(),
                    config.getBatchSize(), config.getBatchWait());
            request.done().complete(null);
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: cannot consume yet ({})", name, e.toString());
            request.done().completeExceptionally(e);
        }
    }

    /** Up to batchSize deliveries, waiting at most batchWait after the first; only those of the live channel. */
    private List<ReceivedMessage> nextBatch() throws InterruptedException {
        List<ReceivedMessage> batch = new ArrayList<>();
        Object first = inbox.poll(1, TimeUnit.SECONDS);
        if (first == null || first == WAKE_UP) {
            return batch;
        }
        batch.add((ReceivedMessage) first);
        long deadline = System.nanoTime() + config.getBatchWait().toNanoseconds();
        while (batch.size() < config.getBatchSize()) {
            long remaining = deadline - System.nanoTime();
            Object next = remaining > 0 ? inbox.poll(remaining, TimeUnit.NANOSECONDS) : inbox.poll();
            if (next == null || next == WAKE_UP) {
                break;
            }
            batch.add((ReceivedMessage) next);
        }
        // Deliveries of a replaced channel were requeued by the broker when it closed; they come back on this one.
        Subscription current = subscription;
        batch.removeIf(message -> message.subscription() != current);
        return batch;
    }

    private void handle(List<ReceivedMessage> batch) throws IOException, InterruptedException, TimeoutException {
        Subscription owner = batch.get(0).subscription();
        metrics.batchSize().update(batch.size());
        try (Timer.Context ignored = metrics.batchTime().time()) {
            List<Parsed> parsed = new ArrayList<>(batch.size());
            List<Failure> failures = new ArrayList<>();
            for (ReceivedMessage message : batch) {
                try {
                    parsed.add(new Parsed(message, parser.parse(message.body())));
                } catch (InvalidEventException e) {
                    failures.add(new Failure(message, e.getMessage(), false));
                }
            }
            if (!store(owner, parsed, failures)) {
                return;
            }
            Channel channel = owner.channel();
            for (Failure failure : failures) {
                if (failure.storable()) {
                    router.retryOrDeadLetter(channel, failure.message(), failure.reason());
                } else {
                    router.deadLetter(channel, failure.message(), failure.reason());
                }
            }
            if (!failures.isEmpty()) {
                // The messages are only acknowledged once the broker has taken their retry or dead-letter copies.
                channel.waitForConfirmsOrDie(CONFIRM_TIMEOUT_MS);
            }
            channel.basicAck(batch.get(batch.size() - 1).deliveryTag(), true);
            metrics.consumed().mark(batch.size());
        }
    }

    /**
     * Stores the batch in one transaction; if that fails because of what is in it, stores the messages one by one
     * to find the ones at fault. False if the batch was given up (stopping, or its channel is gone).
     */
    private boolean store(Subscription owner, List<Parsed> parsed, List<Failure> failures)
            throws InterruptedException {
        if (parsed.isEmpty()) {
            return true;
        }
        BooleanSupplier worthHolding = () -> running && subscription == owner;
        Attempt batch = storeThroughOutages(parsed.stream().map(Parsed::event).toList(), worthHolding);
        if (batch.abandoned()) {
            return false;
        }
        if (batch.failure() == null) {
            return true;
        }
        if (parsed.size() == 1) {
            failures.add(new Failure(parsed.get(0).message(), describe(batch.failure()), true));
            return true;
        }
        LOG.warn("{}: a batch of {} failed ({}); storing its messages one by one", name, parsed.size(),
                describe(batch.failure()));
        for (Parsed one : parsed) {
            Attempt single = storeThroughOutages(List.of(one.event()), worthHolding);
            if (single.abandoned()) {
                return false;
            }
            if (single.failure() != null) {
                failures.add(new Failure(one.message(), describe(single.failure()), true));
            }
        }
        return true;
    }

    /** How storing went: stored (no failure), failed because of the events, or given up while held. */
    private record Attempt(RuntimeException failure, boolean abandoned) {
    }

    /**
     * While the database itself is unavailable this holds on, unacknowledged, and tries again once it answers:
     * an outage must never cost a message an attempt.
     */
    private Attempt storeThroughOutages(List<IncomingEvent> events, BooleanSupplier worthHolding)
            throws InterruptedException {
        int retriesWhileReachable = 0;
        while (true) {
            try {
                record(ingest.ingest(events));
                return new Attempt(null, false);
            } catch (RuntimeException e) {
                boolean outage = database.isTransient(e);
                // A "transient" failure that keeps recurring while the database answers is the events' fault.
                if (outage && database.isReachable() && ++retriesWhileReachable > MAX_RETRIES_WHILE_REACHABLE) {
                    outage = false;
                }
                if (!outage) {
                    return new Attempt(e, false);
                }
                if (!holdForDatabase(worthHolding)) {
                    return new Attempt(null, true);
                }
            }
        }
    }

    private boolean holdForDatabase(BooleanSupplier worthHolding) throws InterruptedException {
        metrics.databasePauses().mark();
        pausedForDatabase = true;
        try {
            Thread.sleep(TRANSIENT_BACKOFF_MS);
            return database.awaitReachable(name, worthHolding);
        } finally {
            pausedForDatabase = false;
        }
    }

    private void record(IngestDao.IngestResult result) {
        if (result.duplicates() > 0) {
            metrics.duplicatesSkipped().mark(result.duplicates());
        }
    }

    /**
     * After a batch failed half-way its messages may still be unacknowledged on a live channel, where the next
     * batch's multiple-ack would take them along: drop the channel so the broker redelivers them.
     */
    private void startOver() {
        Subscription current = subscription;
        if (current != null) {
            Connection connection = current.channel().getConnection();
            current.abort();
            if (connection.isOpen()) {
                pendingSubscribe.compareAndSet(null,
                        new SubscribeRequest(connection, connectionLosses.get(), new CompletableFuture<>()));
            }
        }
        try {
            Thread.sleep(RESUBSCRIBE_BACKOFF_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return message.lines().findFirst().orElse(message).strip();
    }
}
