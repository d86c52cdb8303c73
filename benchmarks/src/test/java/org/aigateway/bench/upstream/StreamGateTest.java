package org.aigateway.bench.upstream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class StreamGateTest {
    private static final Duration LONG = Duration.ofMinutes(5);

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final List<String> ran = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    @Test
    void holdsEveryStreamUntilTheLastOneArrivesThenLetsLaterOnesThrough() {
        StreamGate gate = new StreamGate(3, LONG, Duration.ZERO, timer);

        gate.pass(() -> ran.add("first"));
        gate.pass(() -> ran.add("second"));
        assertThat(ran).isEmpty();
        assertThat(gate.held()).isEqualTo(2);

        gate.pass(() -> ran.add("third"));
        assertThat(ran).containsExactly("first", "second", "third");
        assertThat(gate.held()).isZero();

        gate.pass(() -> ran.add("later"));
        assertThat(ran).containsExactly("first", "second", "third", "later");
    }

    @Test
    void spreadsTheReleaseOverTheSpreadInTheOrderStreamsCame() throws InterruptedException {
        StreamGate gate = new StreamGate(3, LONG, Duration.ofSeconds(3), timer);
        CountDownLatch released = new CountDownLatch(3);
        Map<String, Long> ranAfterNanos = new ConcurrentHashMap<>();
        long start = System.nanoTime();

        for (String name : List.of("first", "second", "third")) {
            gate.pass(() -> {
                ran.add(name);
                ranAfterNanos.put(name, System.nanoTime() - start);
                released.countDown();
            });
        }
        // The first goes on at once, the others one and two seconds later (a timer never runs a task early).
        assertThat(ran).containsExactly("first");

        assertThat(released.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(ran).containsExactly("first", "second", "third");
        assertThat(ranAfterNanos.get("second")).isGreaterThanOrEqualTo(TimeUnit.SECONDS.toNanos(1));
        assertThat(ranAfterNanos.get("third")).isGreaterThanOrEqualTo(TimeUnit.SECONDS.toNanos(2));
    }

    @Test
    void opensAfterTheTimeoutWhenTooFewStreamsArrive() throws InterruptedException {
        StreamGate gate = new StreamGate(5, Duration.ofSeconds(2), Duration.ZERO, timer);
        CountDownLatch released = new CountDownLatch(2);

        gate.pass(() -> {
            ran.add("first");
            released.countDown();
        });
        gate.pass(() -> {
            ran.add("second");
            released.countDown();
        });
        assertThat(ran).isEmpty();

        assertThat(released.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(ran).containsExactly("first", "second");
        gate.pass(() -> ran.add("later"));
        assertThat(ran).containsExactly("first", "second", "later");
    }

    @Test
    void holdsNothingWithoutANumber() {
        StreamGate gate = new StreamGate(0, LONG, Duration.ZERO, timer);

        gate.pass(() -> ran.add("only"));

        assertThat(ran).containsExactly("only");
    }

    @Test
    void aGateForOneStreamLetsItThroughAtOnce() {
        StreamGate gate = new StreamGate(1, LONG, Duration.ofMillis(300), timer);

        gate.pass(() -> ran.add("only"));

        assertThat(ran).containsExactly("only");
    }
}
