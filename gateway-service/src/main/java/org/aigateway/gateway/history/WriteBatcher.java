package org.aigateway.gateway.history;

import com.codahale.metrics.Histogram;
import com.codahale.metrics.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Writes what many request threads hand it in shared statements. A thread that finds a batch slot free writes at
 * once, on its own thread, everything queued by then, its own item included; a thread that finds every slot taken
 * leaves its item queued for the next batch, which a slot holder's follow-up or the background writer takes. So a
 * lone request is written without a thread switch, and under load a statement and its commit serve many requests.
 * An item may also be deferred: it waits for the background writer for a fixed time, during which its submitter may
 * withdraw it, and is written only if it is still there then.
 * A batch that fails because of what is in it is written again item by item, so one bad item fails only its own
 * submitter; any other failure (the database unreachable, say) fails the whole batch at once.
 *
 * @param <T> what is written
 * @param <R> what each submitter learns
 */
final class WriteBatcher<T, R> {
    private static final Logger LOG = LoggerFactory.getLogger(WriteBatcher.class);
    private static final long IDLE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** An item handed to the background writer, which its submitter may withdraw while it is deferred. */
    interface Queued<R> {
        /** Completes with the item's result once written, or with null once withdrawn. */
        CompletableFuture<R> result();

        /** Takes the item back unless it was not deferred or a batch took it first; returns whether it did. */
        boolean withdraw();
    }

    private static final class Submitted<T, R> implements Queued<R> {
        private final T item;
        private final CompletableFuture<R> result = new CompletableFuture<>();
        private final boolean deferred;
        /** When a deferred item is due; {@link System#nanoTime()} based. */
        private final long dueNanos;
        private final AtomicBoolean taken = new AtomicBoolean();

        /** An item written as soon as a batch can take it. */
        Submitted(T item) {
            this(item, false, 0);
        }

        private Submitted(T item, boolean deferred, long dueNanos) {
            this.item = item;
            this.deferred = deferred;
            this.dueNanos = dueNanos;
        }

        static <T, R> Submitted<T, R> deferred(T item, long dueNanos) {
            return new Submitted<>(item, true, dueNanos);
        }

        @Override
        public CompletableFuture<R> result() {
            return result;
        }

        @Override
        public boolean withdraw() {
            if (!deferred || !taken.compareAndSet(false, true)) {
                return false;
            }
            result.complete(null);
            return true;
        }

        /** Claims the item for a batch; false if it was withdrawn. */
        boolean take() {
            return taken.compareAndSet(false, true);
        }
    }

    /** How big a batch may get. */
    record Limits(int maxItems, long maxBytes) {
    }

    private final String name;
    private final Limits limits;
    /** Roughly how many bytes an item adds to a statement. */
    private final ToLongFunction<T> weight;
    /** Writes a batch in one transaction and returns one result per item, in order. */
    private final Function<List<T>, List<R>> writeAll;
    private final Histogram batchSizes;
    private final Timer batchTimes;
    private final Queue<Submitted<T, R>> queue = new ConcurrentLinkedQueue<>();
    /** How long a deferred item waits; 0 for a batcher that defers nothing. */
    private final long deferralNanos;
    /** Deferred items, in the order they are due, all the same time after they were handed in. */
    private final Queue<Submitted<T, R>> deferred = new ConcurrentLinkedQueue<>();
    /** Batches in the database at once. */
    private final Semaphore slots;
    /** Released when items are left in the queue with nobody writing them; wakes the background writer. */
    private final Semaphore leftovers = new Semaphore(0);
    private volatile boolean running;
    private Thread background;

    /**
     * @param slots    how many batches may be in the database at once
     * @param deferral how long a {@link #writeDeferred deferred} item waits before it is written
     */
    WriteBatcher(String name, int slots, Limits limits, ToLongFunction<T> weight, Function<List<T>, List<R>> writeAll,
                 Histogram batchSizes, Timer batchTimes, Duration deferral) {
        this.name = name;
        this.deferralNanos = deferral.toNanos();
        this.slots = new Semaphore(slots);
        this.limits = limits;
        this.weight = weight;
        this.writeAll = writeAll;
        this.batchSizes = batchSizes;
        this.batchTimes = batchTimes;
    }

    /** Writes the item, with whatever else is queued, and returns its result once it is committed. */
    R write(T item) {
        CompletableFuture<R> result = enqueue(item).result();
        if (!result.isDone() && slots.tryAcquire()) {
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
        return queueForBackground(item).result();
    }

    /**
     * Hands the item to the background writer, which writes it once it has waited for the deferral unless it has
     * been withdrawn by then. Without a deferral, or while stopped, the item is written at once and cannot be
     * withdrawn.
     */
    Queued<R> writeDeferred(T item) {
        if (deferralNanos <= 0) {
            return queueForBackground(item);
        }
        Submitted<T, R> submitted = Submitted.deferred(item, System.nanoTime() + deferralNanos);
        deferred.add(submitted);
        // The background writer is gone or about to go: its last look at the queues may have come before this.
        if (!running && deferred.remove(submitted)) {
            return enqueue(item);
        }
        return submitted;
    }

    void start() {
        running = true;
        background = new Thread(this::runBackground, name);
        background.setDaemon(true);
        background.start();
    }

    /**
     * Stops the background writer once it has written what was queued, waiting for that up to the timeout, then
     * writes anything still queued here. Whatever is handed in afterwards is written on its submitter's thread.
     */
    void stop(long timeoutMillis) throws InterruptedException {
        running = false;
        leftovers.release();
        Thread writer = background;
        if (writer != null) {
            writer.join(timeoutMillis);
        }
        writeRemaining();
    }

    /** Queues the item and wakes the background writer for it. */
    private Submitted<T, R> queueForBackground(T item) {
        Submitted<T, R> submitted = enqueue(item);
        leftovers.release();
        return submitted;
    }

    private Submitted<T, R> enqueue(T item) {
        Submitted<T, R> submitted = new Submitted<>(item);
        queue.add(submitted);
        // Stopped, or stopping after the background writer's last look at the queue: nobody else may come for it.
        if (!running && queue.remove(submitted)) {
            writeBatch(List.of(submitted));
        }
        return submitted;
    }

    /** Writes one batch from the queue; the caller holds a slot, which this gives back. */
    private void writeQueued() {
        try {
            List<Submitted<T, R>> batch = nextBatch();
            if (!batch.isEmpty()) {
                writeBatch(batch);
            }
        } finally {
            slots.release();
            // Whoever queued while every slot was taken relies on a slot holder to see it here.
            if (!queue.isEmpty()) {
                leftovers.release();
            }
        }
    }

    private List<Submitted<T, R>> nextBatch() {
        List<Submitted<T, R>> batch = new ArrayList<>();
        long bytes = 0;
        while (batch.size() < limits.maxItems() && bytes < limits.maxBytes()) {
            Submitted<T, R> next = queue.poll();
            if (next == null) {
                break;
            }
            if (!next.take()) {
                continue;
            }
            batch.add(next);
            bytes += weight.applyAsLong(next.item);
        }
        return batch;
    }

    private void runBackground() {
        while (running || !queue.isEmpty() || !deferred.isEmpty()) {
            try {
                if (running) {
                    leftovers.tryAcquire(nanosToWait(), TimeUnit.NANOSECONDS);
                }
                leftovers.drainPermits();
                queueDeferred(!running);
                while (!queue.isEmpty()) {
                    slots.acquireUninterruptibly();
                    writeQueued();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Throwable e) {
                // Every item it held has been failed; the writer itself must live on for the next ones.
                LOG.error("{}: writing a batch failed unexpectedly", name, e);
            }
        }
    }

    /**
     * How long the background writer may sleep: until the next deferred item is due. With none waiting it wakes
     * after one deferral at the latest, so an item deferred meanwhile is never late.
     */
    private long nanosToWait() {
        dropWithdrawn();
        Submitted<T, R> next = deferred.peek();
        if (next != null) {
            return Math.max(0, next.dueNanos - System.nanoTime());
        }
        return deferralNanos > 0 ? Math.min(deferralNanos, IDLE_WAIT_NANOS) : IDLE_WAIT_NANOS;
    }

    /**
     * Drops the withdrawn items at the head of the deferred ones, so that the background writer does not wake for
     * them: most deferred items are withdrawn well before they are due.
     */
    private void dropWithdrawn() {
        Submitted<T, R> next;
        while ((next = deferred.peek()) != null && next.taken.get()) {
            deferred.remove(next);
        }
    }

    /** Moves the deferred items that are due, or all of them, to the queue; withdrawn ones are dropped. */
    private void queueDeferred(boolean all) {
        long now = System.nanoTime();
        Submitted<T, R> next;
        while ((next = deferred.peek()) != null && (all || next.dueNanos - now <= 0)) {
            if (deferred.remove(next) && !next.taken.get()) {
                queue.add(next);
            }
        }
    }

    private void writeRemaining() {
        queueDeferred(true);
        List<Submitted<T, R>> batch;
        while (!(batch = nextBatch()).isEmpty()) {
            writeBatch(batch);
        }
    }

    private void writeBatch(List<Submitted<T, R>> batch) {
        batchSizes.update(batch.size());
        try (Timer.Context ignored = batchTimes.time()) {
            complete(batch, writeAll.apply(batch.stream().map(s -> s.item).toList()));
        } catch (RuntimeException batchFailure) {
            if (batch.size() == 1 || !causedByData(batchFailure)) {
                batch.forEach(s -> s.result().completeExceptionally(batchFailure));
                return;
            }
            LOG.warn("{}: a batch of {} failed ({}); writing its items one by one", name, batch.size(),
                    batchFailure.toString());
            for (Submitted<T, R> one : batch) {
                try {
                    complete(List.of(one), writeAll.apply(List.of(one.item)));
                } catch (RuntimeException e) {
                    one.result().completeExceptionally(e);
                }
            }
        } catch (Throwable e) {
            batch.forEach(s -> s.result().completeExceptionally(e));
            throw e;
        }
    }

    /**
     * Whether the database refused the batch for what is in it (data exceptions, constraint violations) or for a
     * conflict with other transactions (deadlock, serialization), so writing its items alone can succeed.
     */
    private static boolean causedByData(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null) {
                String sqlClass = sql.getSQLState().length() >= 2 ? sql.getSQLState().substring(0, 2) : "";
                return sqlClass.equals("22") || sqlClass.equals("23") || sqlClass.equals("40");
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return false;
    }

    private static <T, R> void complete(List<Submitted<T, R>> batch, List<R> results) {
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).result().complete(results.get(i));
        }
    }
}
