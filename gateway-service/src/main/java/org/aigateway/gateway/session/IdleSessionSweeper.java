package org.aigateway.gateway.session;

import com.codahale.metrics.Meter;
import io.dropwizard.lifecycle.Managed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Ends sessions that had no request for longer than the idle timeout, every sweep interval. Each sweep is a few
 * set-based updates that skip locked rows, so every gateway instance can run one at the same time.
 */
public class IdleSessionSweeper implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(IdleSessionSweeper.class);
    private static final int BATCH = 1000;

    private final SessionDao sessions;
    private final Duration idleTimeout;
    private final Duration sweepInterval;
    private final Meter ended;
    private ScheduledExecutorService scheduler;

    public IdleSessionSweeper(SessionDao sessions, Duration idleTimeout, Duration sweepInterval, Meter ended) {
        this.sessions = sessions;
        this.idleTimeout = idleTimeout;
        this.sweepInterval = sweepInterval;
        this.ended = ended;
    }

    @Override
    public void start() {
        scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "idle-session-sweeper");
            thread.setDaemon(true);
            return thread;
        });
        long interval = sweepInterval.toMillis();
        scheduler.scheduleWithFixedDelay(this::sweepAndLogFailure, interval, interval, TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() throws InterruptedException {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /** Ends every session idle for longer than the timeout that no other transaction holds; returns how many. */
    public int sweep() {
        int total = 0;
        int batch;
        do {
            batch = sessions.endIdle(idleTimeout.toMillis(), BATCH);
            total += batch;
        } while (batch == BATCH);
        ended.mark(total);
        return total;
    }

    private void sweepAndLogFailure() {
        try {
            sweep();
        } catch (RuntimeException e) {
            // A failed sweep (database down) is retried at the next interval; nothing is lost by waiting.
            LOG.warn("Ending idle sessions failed ({}); retrying in {}", e.toString(), sweepInterval);
        }
    }
}
