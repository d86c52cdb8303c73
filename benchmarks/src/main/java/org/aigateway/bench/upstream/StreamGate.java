package org.aigateway.bench.upstream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Holds each stream after its first chunk until a given number of streams are held, then lets them all go on, so that
 * every one of them is open at the same moment however long the gateway took to open them. The gate opens once and
 * stays open: streams that come after that go on at once. Should the number not be reached within the timeout from
 * the first held stream (some failed before their first chunk), the held ones go on then, and the client's count of
 * streams open at once shows the shortfall. The held streams go on spread evenly over one spread (the interval
 * between chunks), as they came in, not all in the same instant: otherwise every later chunk and every stream's end,
 * with its history write, would reach the gateway as one burst.
 */
final class StreamGate {
    private final int streams;
    private final long timeoutNanos;
    private final long spreadNanos;
    private final ScheduledExecutorService timer;
    private final List<Runnable> held = new ArrayList<>();
    private boolean open;
    private ScheduledFuture<?> timeout;

    /**
     * @param streams how many streams to hold before any goes on; 0 or less holds none
     * @param spread  over how long the held streams go on once the gate opens; zero runs them all at once
     */
    StreamGate(int streams, Duration timeout, Duration spread, ScheduledExecutorService timer) {
        this.streams = streams;
        this.timeoutNanos = timeout.toNanos();
        this.spreadNanos = spread.toNanos();
        this.timer = timer;
        this.open = streams <= 0;
    }

    /** Runs {@code next} now if the gate is open, otherwise once it opens. */
    void pass(Runnable next) {
        List<Runnable> released;
        synchronized (this) {
            if (open) {
                released = List.of(next);
            } else {
                held.add(next);
                if (held.size() < streams) {
                    if (timeout == null) {
                        timeout = timer.schedule(this::openNow, timeoutNanos, TimeUnit.NANOSECONDS);
                    }
                    return;
                }
                if (timeout != null) {
                    timeout.cancel(false);
                }
                released = open();
            }
        }
        release(released);
    }

    /** How many streams are held right now. */
    synchronized int held() {
        return held.size();
    }

    private void openNow() {
        List<Runnable> released;
        synchronized (this) {
            released = open();
        }
        release(released);
    }

    /** Opens the gate for good and hands back what it held; the caller releases that outside the lock. */
    private List<Runnable> open() {
        open = true;
        List<Runnable> released = List.copyOf(held);
        held.clear();
        return released;
    }

    /** Runs the first at once and the others spread over the spread, in order. */
    private void release(List<Runnable> released) {
        for (int i = 0; i < released.size(); i++) {
            long delay = spreadNanos * i / released.size();
            if (delay == 0) {
                released.get(i).run();
            } else {
                timer.schedule(released.get(i), delay, TimeUnit.NANOSECONDS);
            }
        }
    }
}
