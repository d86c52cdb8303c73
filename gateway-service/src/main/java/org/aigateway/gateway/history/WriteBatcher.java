package org.aigateway.gateway.history;

import com.codahale.metrics.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Writes what many request threads hand it in shared statements, on threads of its own: while a batch is in the
 * database the next one gathers, so under load a statement and its commit serve many requests, and a lone
 * request is written at once. Each submitter gets its own result; a failed batch is written again item by item,
 * so one bad item fails only its own submitter.
 *
 * @param <T> what is written
 * @param <R> what each submitter learns
 */
final class WriteBatcher<T, R> {
    private static final Logger LOG = LoggerFactory.getLogger(WriteBatcher.class);

    private record Submitted<T, R>(T item, CompletableFuture<R> result) {
    }

    private final String name;
    private final int threads;
    private final int maxBatch;
    /** Writes a batch in one transaction and returns one result per item, in order. */
    private final Function<List<T>, List<R>> writeAll;
    private final Histogram batchSizes;
    private final BlockingQueue<Submitted<T, R>> queue = new LinkedBlockingQueue<>();
    private volatile boolean running;
    private final List<Thread> writers = new ArrayList<>();

    /** @param threads how many batches may be in the database at once */
    WriteBatcher(String name, int threads, int maxBatch, Function<List<T>, List<R>> writeAll, Histogram batchSizes) {
        this.name = name;
        this.threads = threads;
        this.maxBatch = maxBatch;
        this.writeAll = writeAll;
        this.batchSizes = batchSizes;
    }

    CompletableFuture<R> submit(T item) {
        CompletableFuture<R> result = new CompletableFuture<>();
        if (!running) {
            result.completeExceptionally(new IllegalStateException(name + " is not running"));
            return result;
        }
        queue.add(new Submitted<>(item, result));
        return result;
    }

    void start() {
        running = true;
        for (int i = 0; i < threads; i++) {
            Thread writer = new Thread(this::run, name + "-" + i);
            writer.setDaemon(true);
            writers.add(writer);
            writer.start();
        }
    }

    /** Stops taking work, writes what was already handed in, and waits for that up to the timeout. */
    void stop(long timeoutMillis) throws InterruptedException {
        running = false;
        writers.forEach(Thread::interrupt);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        for (Thread writer : writers) {
            writer.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        writers.clear();
        List<Submitted<T, R>> left = new ArrayList<>();
        queue.drainTo(left);
        left.forEach(s -> s.result().completeExceptionally(new IllegalStateException(name + " stopped")));
    }

    private void run() {
        List<Submitted<T, R>> batch = new ArrayList<>(maxBatch);
        while (running || !queue.isEmpty()) {
            try {
                Submitted<T, R> first = running ? queue.poll(1, TimeUnit.SECONDS) : queue.poll();
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, maxBatch - 1);
                write(batch);
            } catch (InterruptedException e) {
                // stop(): the loop drains what is left without waiting.
            } finally {
                batch.clear();
            }
        }
    }

    private void write(List<Submitted<T, R>> batch) {
        batchSizes.update(batch.size());
        try {
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
