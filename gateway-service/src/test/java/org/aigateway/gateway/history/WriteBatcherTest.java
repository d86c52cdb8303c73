package org.aigateway.gateway.history;

import com.codahale.metrics.MetricRegistry;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The batching itself, with a write function that records what it was given: the database side is covered by
 * {@code HistoryWriterTest}.
 */
class WriteBatcherTest {
    private final MetricRegistry metrics = new MetricRegistry();
    /** Every batch the write function was called with. */
    private final List<List<Integer>> batches = new CopyOnWriteArrayList<>();

    private WriteBatcher<Integer, Integer> batcher(WriteBatcher.Limits limits, Function<List<Integer>, List<Integer>> write) {
        return batcher(limits, Duration.ZERO, write);
    }

    private WriteBatcher<Integer, Integer> batcher(WriteBatcher.Limits limits, Duration deferral,
                                                   Function<List<Integer>, List<Integer>> write) {
        return new WriteBatcher<>("test-writer", 2, limits, item -> 1000, items -> {
            batches.add(items);
            return write.apply(items);
        }, metrics.histogram("sizes"), metrics.timer("times"), deferral);
    }

    private static List<Integer> doubled(List<Integer> items) {
        return items.stream().map(i -> i * 2).toList();
    }

    @Test
    void concurrentSubmittersEachGetTheirOwnResultAndShareBatches() throws Exception {
        WriteBatcher<Integer, Integer> batcher = batcher(new WriteBatcher.Limits(256, Long.MAX_VALUE), items -> {
            sleep(2);
            return doubled(items);
        });
        batcher.start();
        ExecutorService pool = Executors.newFixedThreadPool(32);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 32; t++) {
            int base = t * 1000;
            done.add(pool.submit(() -> {
                for (int i = 0; i < 50; i++) {
                    assertThat(batcher.write(base + i)).isEqualTo(2 * (base + i));
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        batcher.stop(1000);
        assertThat(batches.stream().mapToInt(List::size).sum()).isEqualTo(32 * 50);
        assertThat(batches.stream().mapToInt(List::size).max().orElse(0)).isGreaterThan(1);
    }

    @Test
    void laterWritesAreTakenByTheBackgroundWriter() throws Exception {
        WriteBatcher<Integer, Integer> batcher = batcher(new WriteBatcher.Limits(256, Long.MAX_VALUE),
                WriteBatcherTest::doubled);
        batcher.start();
        List<CompletableFuture<Integer>> results = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            results.add(batcher.writeLater(i));
        }
        for (int i = 0; i < 100; i++) {
            assertThat(results.get(i).get(10, TimeUnit.SECONDS)).isEqualTo(2 * i);
        }
        batcher.stop(1000);
    }

    @Test
    void aBatchRefusedForItsDataIsWrittenAgainItemByItem() throws Exception {
        WriteBatcher<Integer, Integer> batcher = batcher(new WriteBatcher.Limits(256, Long.MAX_VALUE), items -> {
            if (items.contains(13)) {
                throw new IllegalStateException(new SQLException("violates check constraint", "23514"));
            }
            return doubled(items);
        });
        batcher.start();
        List<CompletableFuture<Integer>> results = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            results.add(batcher.writeLater(i));
        }
        for (int i = 0; i < 30; i++) {
            CompletableFuture<Integer> result = results.get(i);
            if (i == 13) {
                assertThatThrownBy(() -> result.get(10, TimeUnit.SECONDS)).hasMessageContaining("check constraint");
            } else {
                assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo(2 * i);
            }
        }
        batcher.stop(1000);
    }

    @Test
    void aBatchRefusedForAnyOtherReasonFailsAtOnceWithoutRetries() throws Exception {
        CountDownLatch firstBatchHeld = new CountDownLatch(1);
        WriteBatcher<Integer, Integer> batcher = batcher(new WriteBatcher.Limits(256, Long.MAX_VALUE), items -> {
            if (items.contains(0)) {
                await(firstBatchHeld);
                return doubled(items);
            }
            throw new IllegalStateException(new SQLException("Connection refused", "08001"));
        });
        batcher.start();
        CompletableFuture<Integer> held = batcher.writeLater(0);
        awaitBatches(1);
        // Queued while the writer is busy, so they form the next batch.
        List<CompletableFuture<Integer>> results = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            results.add(batcher.writeLater(i));
        }
        firstBatchHeld.countDown();
        assertThat(held.get(10, TimeUnit.SECONDS)).isZero();
        for (CompletableFuture<Integer> result : results) {
            assertThatThrownBy(() -> result.get(10, TimeUnit.SECONDS)).hasMessageContaining("Connection refused");
        }
        assertThat(batches).hasSize(2);
        assertThat(batches.get(1)).hasSize(20);
        batcher.stop(1000);
    }

    @Test
    void anErrorFailsItsBatchAndTheWriterGoesOn() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(true);
        WriteBatcher<Integer, Integer> batcher = batcher(new WriteBatcher.Limits(256, Long.MAX_VALUE), items -> {
            if (failing.getAndSet(false)) {
                throw new OutOfMemoryError("simulated");
            }
            return doubled(items);
        });
        batcher.start();
        CompletableFuture<Integer> first = batcher.writeLater(1);
        assertThatThrownBy(() -> first.get(10, TimeUnit.SECONDS)).hasMessageContaining("simulated");
        assertThat(batcher.writeLater(2).get(10, TimeUnit.SECONDS)).isEqualTo(4);
        assertThat(batcher.write(3)).isEqualTo(6);
        batcher.stop(1000);
    }

    @Test
    void batchesStayWithinTheirByteBudget() throws Exception {
        CountDownLatch firstBatchHeld = new CountDownLatch(1);
        // Each item weighs 1,000 bytes: a 2,500-byte budget takes at most three.
        WriteBatcher<Integer, Integer> batcher = batcher(new WriteBatcher.Limits(256, 2_500), items -> {
            if (items.contains(0)) {
                await(firstBatchHeld);
            }
            return doubled(items);
        });
        batcher.start();
        List<CompletableFuture<Integer>> results = new ArrayList<>();
        results.add(batcher.writeLater(0));
        awaitBatches(1);
        for (int i = 1; i <= 10; i++) {
            results.add(batcher.writeLater(i));
        }
        firstBatchHeld.countDown();
        for (CompletableFuture<Integer> result : results) {
            result.get(10, TimeUnit.SECONDS);
        }
        batcher.stop(1000);
        assertThat(batches.stream().mapToInt(List::size).sum()).isEqualTo(11);
        assertThat(batches).allSatisfy(batch -> assertThat(batch.size()).isLessThanOrEqualTo(3));
        assertThat(batches.stream().mapToInt(List::size).max().orElse(0)).isEqualTo(3);
    }

    @Test
    void afterStopEverythingIsWrittenOnTheSubmittersThread() throws Exception {
        WriteBatcher<Integer, Integer> batcher = batcher(new WriteBatcher.Limits(256, Long.MAX_VALUE),
                WriteBatcherTest::doubled);
        batcher.start();
        batcher.stop(1000);
        assertThat(batcher.write(5)).isEqualTo(10);
        CompletableFuture<Integer> later = batcher.writeLater(6);
        assertThat(later).isCompletedWithValue(12);
    }

    @Test
    void stopWritesWhatWasQueued() throws Exception {
        WriteBatcher<Integer, Integer> batcher = batcher(new WriteBatcher.Limits(256, Long.MAX_VALUE), items -> {
            sleep(50);
            return doubled(items);
        });
        batcher.start();
        List<CompletableFuture<Integer>> results = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            results.add(batcher.writeLater(i));
        }
        batcher.stop(Duration.ofSeconds(10).toMillis());
        for (int i = 0; i < 20; i++) {
            assertThat(results.get(i)).isCompletedWithValue(2 * i);
        }
    }

    @Test
    void deferredItemsAreWrittenOnceDueUnlessWithdrawn() throws Exception {
        Duration deferral = Duration.ofMillis(500);
        List<Long> writtenAtNanos = new CopyOnWriteArrayList<>();
        WriteBatcher<Integer, Integer> batcher = batcher(new WriteBatcher.Limits(256, Long.MAX_VALUE), deferral,
                items -> {
                    writtenAtNanos.add(System.nanoTime());
                    return doubled(items);
                });
        batcher.start();
        long handedInNanos = System.nanoTime();
        List<WriteBatcher.Queued<Integer>> queued = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            queued.add(batcher.writeDeferred(i));
        }
        for (int i = 0; i < 5; i++) {
            assertThat(queued.get(i).withdraw()).isTrue();
            assertThat(queued.get(i).result()).isCompletedWithValue(null);
        }
        for (int i = 5; i < 10; i++) {
            assertThat(queued.get(i).result().get(10, TimeUnit.SECONDS)).isEqualTo(2 * i);
            assertThat(queued.get(i).withdraw()).isFalse();
        }
        assertThat(batches.stream().flatMap(List::stream)).containsExactly(5, 6, 7, 8, 9);
        assertThat(writtenAtNanos.get(0) - handedInNanos).isGreaterThanOrEqualTo(deferral.toNanos());
        // Immediate items are not held back by deferred ones queued before them.
        WriteBatcher.Queued<Integer> waiting = batcher.writeDeferred(100);
        assertThat(batcher.write(7)).isEqualTo(14);
        assertThat(waiting.withdraw()).isTrue();
        batcher.stop(1000);
        assertThat(batches.stream().flatMap(List::stream)).containsExactly(5, 6, 7, 8, 9, 7);
    }

    @Test
    void stopWritesDeferredItemsWithoutWaitingForThem() throws Exception {
        WriteBatcher<Integer, Integer> batcher = batcher(new WriteBatcher.Limits(256, Long.MAX_VALUE),
                Duration.ofMinutes(1), WriteBatcherTest::doubled);
        batcher.start();
        List<WriteBatcher.Queued<Integer>> queued = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            queued.add(batcher.writeDeferred(i));
        }
        assertThat(queued.get(2).withdraw()).isTrue();
        batcher.stop(10_000);
        for (int i = 0; i < 5; i++) {
            assertThat(queued.get(i).result()).isCompletedWithValue(i == 2 ? null : 2 * i);
        }
        assertThat(batches).containsExactly(List.of(0, 1, 3, 4));
        // Stopped: a deferred item is written at once, on its submitter's thread.
        assertThat(batcher.writeDeferred(9).result()).isCompletedWithValue(18);
    }

    private void awaitBatches(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (batches.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(batches).hasSizeGreaterThanOrEqualTo(count);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
