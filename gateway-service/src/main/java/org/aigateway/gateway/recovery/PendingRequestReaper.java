package org.aigateway.gateway.recovery;

import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.lifecycle.Managed;
import org.aigateway.gateway.history.RequestHistoryDao;
import org.aigateway.gateway.history.RequestHistoryDao.Outcome;
import org.aigateway.gateway.history.RequestHistoryDao.Pending;
import org.aigateway.gateway.outbox.RequestEvents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Closes requests that can no longer finish as {@code aborted}, each with its events in the same transaction, so
 * that every request is counted. On start it closes what this instance left open when it died; then, periodically,
 * whatever any instance has left open longer than a request can take.
 */
public class PendingRequestReaper implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(PendingRequestReaper.class);
    static final String STATUS = "aborted";
    static final String MESSAGE = "the gateway stopped before the request finished";
    /** No response was sent, so there is no HTTP status to record. */
    static final int NO_RESPONSE = 0;
    private static final int BATCH = 500;

    private final PendingRequestDao pending;
    private final RequestHistoryDao history;
    private final RequestEvents events;
    private final Runnable eventsQueued;
    private final ObjectMapper mapper;
    private final String instanceId;
    private final Duration maxPendingAge;
    private final Duration sweepInterval;
    private final Meter aborted;

    private volatile boolean ownLeftoversClosed;
    private Instant startedAt;
    private ScheduledExecutorService sweeper;

    /**
     * @param eventsQueued called after events committed to the outbox, so the relay sends them at once
     */
    public PendingRequestReaper(PendingRequestDao pending, RequestHistoryDao history, RequestEvents events,
                                Runnable eventsQueued, ObjectMapper mapper, RecoveryFactory settings,
                                MetricRegistry metrics) {
        this.pending = pending;
        this.history = history;
        this.events = events;
        this.eventsQueued = eventsQueued;
        this.mapper = mapper;
        this.instanceId = settings.getInstanceId();
        this.maxPendingAge = settings.getMaxPendingAge().toJavaDuration();
        this.sweepInterval = settings.getSweepInterval().toJavaDuration();
        this.aborted = metrics.meter("history.aborted");
    }

    @Override
    public void start() {
        // Managed objects start before the HTTP connectors: nothing this process serves is older than this.
        startedAt = Instant.now();
        sweeper = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "pending-request-reaper");
            thread.setDaemon(true);
            return thread;
        });
        sweeper.scheduleWithFixedDelay(this::sweepQuietly, 0, sweepInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() throws InterruptedException {
        if (sweeper != null) {
            sweeper.shutdownNow();
            sweeper.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /** True once the rows this instance left open in an earlier life are closed. */
    public boolean ownLeftoversClosed() {
        return ownLeftoversClosed;
    }

    private void sweepQuietly() {
        try {
            sweep();
        } catch (RuntimeException e) {
            // The database may be away for a moment; the next sweep tries again.
            LOG.warn("Closing abandoned requests failed ({}); trying again in {} s", e.toString(),
                    sweepInterval.toSeconds());
        }
    }

    /** One round: this instance's leftovers (until closed once), then every row open longer than allowed. */
    void sweep() {
        if (!ownLeftoversClosed) {
            int closed = closeAll(() -> pending.openedBy(instanceId, startedAt, BATCH));
            ownLeftoversClosed = true;
            if (closed > 0) {
                LOG.warn("Closed {} request(s) that instance {} left pending when it stopped as {}", closed,
                        instanceId, STATUS);
            }
        }
        int closed = closeAll(() -> pending.openedBefore(Instant.now().minus(maxPendingAge), BATCH));
        if (closed > 0) {
            LOG.warn("Closed {} request(s) pending longer than {} as {}", closed, maxPendingAge, STATUS);
        }
    }

    private int closeAll(Supplier<List<Pending>> nextBatch) {
        int total = 0;
        List<Pending> batch;
        do {
            batch = nextBatch.get();
            for (Pending request : batch) {
                if (close(request)) {
                    total++;
                }
            }
        } while (batch.size() == BATCH);
        if (total > 0) {
            aborted.mark(total);
            eventsQueued.run();
        }
        return total;
    }

    /** Closes one row unless its request finished meanwhile; the row's own events go out with it, as for any end. */
    private boolean close(Pending request) {
        Outcome outcome = new Outcome(request.id(), STATUS, null, MESSAGE, null, NO_RESPONSE, 0, 0, 0, 0, 0,
                BigDecimal.ZERO, 0, null);
        return history.completeWithEvents(outcome, events.forOutcome(request, outcome, 0, requestBody(request)));
    }

    private JsonNode requestBody(Pending request) {
        if (request.requestJson() == null) {
            return null;
        }
        try {
            return mapper.readTree(request.requestJson());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("request_data is jsonb and always parses", e);
        }
    }
}
