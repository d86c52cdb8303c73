package org.aigateway.gateway.history;

import com.codahale.metrics.Histogram;
import com.codahale.metrics.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Writes what many request threads hand it in shared statements. A thread that finds a batch slot free writes at
 * once, on its own thread, everything queued by then, its own item included; a thread that finds every slot taken
 * leaves its item queued for the next batch, which a slot holder's follow-up or the background writer takes. So a
 * lone request is written without a thread switch, and under load a statement and its commit serve many requests.
 * A failed batch is written again item by item, so one bad item fails only its own submitter.
 *
 * @param <T> what is written
 * @param <R> what each submitter learns
 */
final class WriteBatcher<T, R> {
    private static final Logger LOG = LoggerFactory.getLogger(WriteBatcher.class);

    private record Submitted<T, R>(T item, CompletableFuture<R> result) {
    }

    private final String name;
    private final int maxBatch;
    /** Writes a batch in one transaction and returns one result per item, in order. */
    private final Function<List<T>, List<R>> writeAll;
    private final Histogram batchSizes;
    private final Timer batchTimes;
    private final Queue<Submitted<T, R>> queue = new ConcurrentLinkedQueue<>();
    /** Batches in the database at once. */
    private final Semaphore slots;
    /** Released when items are left in the queue with nobody writing them; wakes the background writer. */
    private final Semaphore leftovers = new Semaphore(0);
    private volatile boolean running;
    private Thread background;

    /** @param slots how many batches may be in the database at once */
    WriteBatcher(String name, int slots, int maxBatch, Function<List<T>, List<R>> writeAll, Histogram batchSizes,
                 Timer batchTimes) {
        this.name = name;
        this.slots = new Semaphore(slots);
        this.maxBatch = maxBatch;
        this.writeAll = writeAll;
        this.batchSizes = batchSizes;
        this.batchTimes = batchTimes;
    }

    /** Writes the item, with whatever else is queued, and returns its result once it is committed. */
    R write(T item) {
        CompletableFuture<R> result = enqueue(item);
        if (slots.tryAcquire()) {
            writeQueued();
        }
        try {
            return result.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** Queues the item for the background writer, for callers that must not wait for the database. */
    CompletableFuture<R> writeLater(T item) {
        CompletableFuture<R> result = enqueue(item);
        leftovers.release();
        return result;
    }

    void start() {
        running = true;
        background = new Thread(this::runBackground, name);
        background.setDaemon(true);
        background.start();
    }

    /** Stops taking work, writes what was already handed in, and waits for that up to the timeout. */
    void stop(long timeoutMillis) throws InterruptedException {
        running = false;
        Thread writer = background;
        if (writer != null) {
            writer.interrupt();
            writer.join(timeoutMillis);
        }
        Submitted<T, R> left;
        while ((left = queue.poll()) != null) {
            left.result().completeExceptionally(new IllegalStateException(name + " stopped"));
        }
    }

    private CompletableFuture<R> enqueue(T item) {
        CompletableFuture<R> result = new CompletableFuture<>();
        if (!running) {
            result.completeExceptionally(new IllegalStateException(name + " is not running"));
            return result;
        }
        queue.add(new Submitted<>(item, result));
        return result;
    }

    /** Writes one batch from the queue; the caller holds a slot, which this gives back. */
    private void writeQueued() {
        try {
            List<Submitted<T, R>> batch = new ArrayList<>();
            Submitted<T, R> next;
            while (batch.size() < maxBatch && (next = queue.poll()) != null) {
                batch.add(next);
            }
            if (!batch.isEmpty()) {
                write(batch);
            }
        } finally {
            slots.release();
            // Whoever queued while every slot was taken relies on a slot holder to see it here.
            if (!queue.isEmpty()) {
                leftovers.release();
            }
        }
    }

    private void runBackground() {
        while (running || !queue.isEmpty()) {
            try {
                if (running) {
                    leftovers.tryAcquire(1, TimeUnit.SECONDS);
                }
                leftovers.drainPermits();
                while (!queue.isEmpty()) {
                    slots.acquireUninterruptibly();
                    writeQueued();
                }
            } catch (InterruptedException e) {
                // stop(): the loop writes what is left without waiting.
            }
        }
    }

    private void write(List<Submitted<T, R>> batch) {
        batchSizes.update(batch.size());
        try (Timer.Context ignored = batchTimes.time()) {
            complete(batch, writeAll.apply(batch.stream().map(Submitted::item).toList()));
        } catch (RuntimeException batchFailure) {
            if (batch.size() == 1) {
                batch.get(0).result().completeExceptionally(batchFailure);
                return;
            }
            LOG.warn("{}: a batch of {} failed ({}); writing its items one by one", name, batch.size(),
                    batchFailure.toString());
            for (Submitted<T, R> one : batch) {
                try {
                    complete(List.of(one), writeAll.apply(List.of(one.item())));
                } catch (RuntimeException e) {
                    one.result().completeExceptionally(e);
                }
            }
        }
    }

    private static <T, R> void complete(List<Submitted<T, R>> batch, List<R> results) {
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).result().complete(results.get(i));
        }
    }
}
