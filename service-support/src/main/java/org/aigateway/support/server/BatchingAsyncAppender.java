package org.aigateway.support.server;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.spi.FilterReply;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The request log's queue: request threads hand it their lines, and one writer thread passes them to the attached
 * appenders in batches. Logback's own asynchronous appender wakes its writer for nearly every line, since the writer
 * empties the queue faster than requests end: at concurrency 16 that hand-off (the request thread's wake-up call and
 * the writer going back to sleep) took about 4% of the gateway's CPU samples. Here, while lines keep coming, the writer
 * looks for them about every {@link #BUSY_POLL_NANOS} instead of being woken; only a writer that found nothing and
 * went to sleep is woken by the next line, and a full queue wakes it at once.
 * It drops no line: a full queue holds the request thread until there is room (whatever {@code neverBlock} and
 * {@code discardingThreshold} say), and the writer writes every line queued before it saw the stop, then stops the
 * attached appenders. As with logback's, a line handed in while it stops may come after that and is not written.
 * It cannot be started again once stopped.
 */
final class BatchingAsyncAppender extends AsyncAppender {
    /** How long a busy writer waits before it looks for lines again, so about how late a line is under load. */
    private static final long BUSY_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private BlockingQueue<ILoggingEvent> queue;
    /** Set by a writer about to sleep until woken; the line that finds it set wakes it. */
    private final AtomicBoolean writerAsleep = new AtomicBoolean();
    private volatile boolean stopping;
    private Thread writer;

    @Override
    public void start() {
        if (isStarted()) {
            return;
        }
        if (writer != null) {
            addError("A request log queue cannot be started again once stopped.");
            return;
        }
        if (!iteratorForAppenders().hasNext()) {
            addError("No attached appenders found.");
            return;
        }
        if (getQueueSize() < 1) {
            addError("Invalid queue size [" + getQueueSize() + "]");
            return;
        }
        queue = new ArrayBlockingQueue<>(getQueueSize());
        writer = new Thread(this::writeLoop, "AsyncAppender-Batcher-" + getName());
        writer.setDaemon(true);
        started = true;
        writer.start();
    }

    @Override
    public void doAppend(ILoggingEvent event) {
        if (!isStarted() || getFilterChainDecision(event) == FilterReply.DENY) {
            return;
        }
        append(event);
    }

    @Override
    protected void append(ILoggingEvent event) {
        preprocess(event);
        if (queue.offer(event)) {
            if (writerAsleep.get() && writerAsleep.compareAndSet(true, false)) {
                LockSupport.unpark(writer);
            }
            return;
        }
        boolean interrupted = false;
        while (true) {
            writerAsleep.set(false);
            LockSupport.unpark(writer);
            try {
                if (queue.offer(event, 1, TimeUnit.MILLISECONDS)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Tells the writer to write what is queued and then stop the attached appenders, and waits up to
     * {@code maxFlushTime} for it, even on an interrupted thread.
     */
    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        started = false;
        stopping = true;
        LockSupport.unpark(writer);
        boolean interrupted = Thread.interrupted();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(getMaxFlushTime());
        long left;
        while (writer.isAlive() && (left = deadline - System.nanoTime()) > 0) {
            try {
                TimeUnit.NANOSECONDS.timedJoin(writer, left);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            addWarn("Max queue flush timeout (" + getMaxFlushTime() + " ms) exceeded. " + queue.size()
                    + " queued events were possibly discarded.");
        }
    }

    @Override
    public int getNumberOfElementsInQueue() {
        return queue == null ? 0 : queue.size();
    }

    @Override
    public int getRemainingCapacity() {
        return queue == null ? getQueueSize() : queue.remainingCapacity();
    }

    private void writeLoop() {
        List<ILoggingEvent> batch = new ArrayList<>();
        while (true) {
            boolean last = stopping;
            queue.drainTo(batch);
            if (!batch.isEmpty()) {
                writeAll(batch);
                // Half a queue or more since the last look: lines come faster than one look per wait can take.
                if (batch.size() < getQueueSize() / 2 && !last) {
                    LockSupport.parkNanos(this, BUSY_POLL_NANOS);
                }
                batch.clear();
                continue;
            }
            if (last) {
                break;
            }
            writerAsleep.set(true);
            // A line queued before the flag was set found no sleeping writer to wake.
            if (!queue.isEmpty() || stopping) {
                writerAsleep.set(false);
                continue;
            }
            while (writerAsleep.get() && !stopping) {
                LockSupport.park(this);
            }
        }
        detachAndStopAllAppenders();
    }

    private void writeAll(List<ILoggingEvent> batch) {
        for (ILoggingEvent event : batch) {
            for (Iterator<Appender<ILoggingEvent>> appenders = iteratorForAppenders(); appenders.hasNext(); ) {
                try {
                    appenders.next().doAppend(event);
                } catch (RuntimeException e) {
                    // Logback's appenders report their own failures; another kind must not end the writer, or the
                    // request threads would wait for room in the queue forever.
                    addError("An appender failed to write a request log line", e);
                }
            }
        }
    }
}
