package org.aigateway.gateway.history;

import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import io.dropwizard.lifecycle.Managed;
import org.aigateway.gateway.history.RequestHistoryDao.Closing;
import org.aigateway.gateway.history.RequestHistoryDao.Pending;
import org.aigateway.gateway.outbox.OutboxMessage;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * Opens and closes {@code request_history} rows for the requests running at the same time in shared statements:
 * the openings queued while a statement runs go into the next statement together, and so do the closings, each
 * batch in one statement and commit.
 * A closing is acknowledged only after its commit is flushed; an opening's commit is not waited for (see
 * {@link RequestHistoryDao#openAll}), and neither is the opening itself: it is written while the request goes on to
 * its upstream, and the request's closing waits for it.
 * A whole answer's opening is written only once its request has run for the pending-row delay: a request that ends
 * sooner takes its opening back, and its closing writes the row whole, with its outcome, in one statement.
 */
public class HistoryWriter implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(HistoryWriter.class);
    /**
     * Rows per statement: enough for every request of a busy instance, small enough to keep a statement quick; and
     * at most about this much request, response and event text in one statement, however large single ones are.
     */
    private static final WriteBatcher.Limits LIMITS = new WriteBatcher.Limits(256, 16L << 20);
    /** What a row adds to a statement besides its JSON text. */
    private static final long ROW_OVERHEAD_BYTES = 512;
    private static final long STOP_TIMEOUT_MS = 10_000;
    /**
     * Batches of each kind in the database at once. With one, what arrives while a batch is written goes into the
     * next one together: at concurrency 64, two at once halved the rows per statement and cost PostgreSQL a fifth
     * more CPU per request. A batch of openings, one of closings and one of rows written whole still run side by
     * side, and every statement takes its session rows in key order, so they never deadlock.
     */
    private static final int SLOTS_PER_KIND = 1;

    /** A request to close: its opening (to restore a lost row) and how it ended, with its events. */
    private record Close(Pending pending, Closing closing) {
    }

    /** A request whose row is being opened, or waits to be. */
    public static final class OpenRow {
        private final Pending pending;
        private final WriteBatcher.Queued<Boolean> opening;

        private OpenRow(Pending pending, WriteBatcher.Queued<Boolean> opening) {
            this.pending = pending;
            this.opening = opening;
        }

        public Pending pending() {
            return pending;
        }

        public UUID id() {
            return pending.id();
        }

        /**
         * Completes with true once the opening committed, with false if the closing took it back to write the row
         * whole, or exceptionally if it failed.
         */
        public CompletableFuture<Boolean> written() {
            return opening.result().thenApply(Boolean.TRUE::equals);
        }
    }

    /** An opening written before it was asked for, on the caller's thread. */
    private record Written(CompletableFuture<Boolean> result) implements WriteBatcher.Queued<Boolean> {
        @Override
        public boolean withdraw() {
            return false;
        }
    }

    private final Jdbi jdbi;
    private final WriteBatcher<Pending, Boolean> openings;
    private final WriteBatcher<Close, Boolean> closings;
    private final WriteBatcher<Close, Boolean> records;
    private final Meter openedRows;
    private final Meter closedRows;
    private final Meter recordedRows;

    /**
     * Reports rows per statement as {@code history.openings.batch-size}, {@code history.closings.batch-size} and
     * {@code history.records.batch-size} (rows written whole), and the time each statement took, commit included, as
     * {@code history.openings.write}, {@code history.closings.write} and {@code history.records.write}; and the rows
     * each kind wrote as {@code history.openings.rows}, {@code history.closings.rows} and {@code history.records.rows}.
     *
     * @param pendingRowDelay how long a whole answer runs before its pending row is written
     */
    public HistoryWriter(Jdbi jdbi, MetricRegistry metrics, Duration pendingRowDelay) {
        this.jdbi = jdbi;
        this.openedRows = metrics.meter("history.openings.rows");
        this.closedRows = metrics.meter("history.closings.rows");
        this.recordedRows = metrics.meter("history.records.rows");
        this.openings = new WriteBatcher<>("history-open-writer", SLOTS_PER_KIND, LIMITS,
                pending -> ROW_OVERHEAD_BYTES + length(pending.requestJson()), this::openAll,
                metrics.histogram("history.openings.batch-size"), metrics.timer("history.openings.write"),
                pendingRowDelay);
        this.closings = new WriteBatcher<>("history-close-writer", SLOTS_PER_KIND, LIMITS, HistoryWriter::weight,
                this::closeAll,
                metrics.histogram("history.closings.batch-size"), metrics.timer("history.closings.write"),
                Duration.ZERO);
        this.records = new WriteBatcher<>("history-record-writer", SLOTS_PER_KIND, LIMITS,
                close -> weight(close) + length(close.pending().requestJson()), this::recordAll,
                metrics.histogram("history.records.batch-size"), metrics.timer("history.records.write"),
                Duration.ZERO);
    }

    /**
     * Queues the request's pending row and returns at once: the row is written once the request has run for the
     * pending-row delay, while it calls its upstream; a request that ends sooner is written once, by its closing.
     */
    public OpenRow open(Pending pending) {
        return new OpenRow(pending, openings.writeDeferred(pending));
    }

    /** Opens the request's row and returns once it is written; throws what writing it threw. */
    public OpenRow openWritten(Pending pending) {
        return new OpenRow(pending, new Written(CompletableFuture.completedFuture(openings.write(pending))));
    }

    /**
     * Closes the row with its events, once its opening is written, and returns whether this closed it (false: it was
     * closed before, by the pending-request sweep); returns once the commit is durable. Should the opening have
     * failed, the closing writes the row itself; should it not have been written yet, the closing takes it back and
     * writes the row whole.
     */
    public boolean close(OpenRow row, RequestHistoryDao.Outcome outcome, List<OutboxMessage> events) {
        Close close = new Close(row.pending(), new Closing(outcome, events));
        if (row.opening.withdraw()) {
            try {
                return records.write(close);
            } catch (RuntimeException e) {
                openAfterFailedRecord(close);
                throw e;
            }
        }
        settled(row).join();
        return closings.write(close);
    }

    /** {@link #close}, written by a background thread, for callers that must not wait for the database. */
    public CompletableFuture<Boolean> closeLater(OpenRow row, RequestHistoryDao.Outcome outcome,
                                                 List<OutboxMessage> events) {
        Close close = new Close(row.pending(), new Closing(outcome, events));
        if (row.opening.withdraw()) {
            return records.writeLater(close).whenComplete((recorded, failure) -> {
                if (failure != null) {
                    openAfterFailedRecord(close);
                }
            });
        }
        return settled(row).thenCompose(ignored -> closings.writeLater(close));
    }

    /**
     * Writes, in the background, the pending row of a request that could not be written whole, as its opening would
     * have, so that it is not left out of the history: it stays pending, and the pending-request sweep closes it.
     * Its caller has the failure to report; it is not held up by this second write, which is logged should it fail
     * too (the database unreachable, say: then the request leaves no row).
     */
    private void openAfterFailedRecord(Close close) {
        openings.writeLater(close.pending()).whenComplete((opened, failure) -> {
            if (failure != null) {
                LOG.warn("Request {} could not be written, nor its pending row", close.pending().id(), failure);
            }
        });
    }

    /**
     * Completes normally when the row's opening did, however it ended: a closing that finds no row (its opening
     * failed, or a database crash lost it) writes the row again with its outcome.
     */
    private static CompletableFuture<Void> settled(OpenRow row) {
        return row.opening.result().handle((opened, failure) -> {
            if (failure != null) {
                LOG.warn("Opening the history row of request {} failed; its closing writes it", row.id(), failure);
            }
            return null;
        });
    }

    @Override
    public void start() {
        openings.start();
        closings.start();
        records.start();
    }

    @Override
    public void stop() throws InterruptedException {
        openings.stop(STOP_TIMEOUT_MS);
        closings.stop(STOP_TIMEOUT_MS);
        records.stop(STOP_TIMEOUT_MS);
    }

    private List<Boolean> openAll(List<Pending> batch) {
        jdbi.useHandle(handle -> RequestHistoryDao.openAll(handle, batch, false));
        openedRows.mark(batch.size());
        return Collections.nCopies(batch.size(), Boolean.TRUE);
    }

    private List<Boolean> closeAll(List<Close> batch) {
        Set<UUID> closed = new HashSet<>(jdbi.withHandle(
                handle -> RequestHistoryDao.closeAll(handle, batch.stream().map(Close::closing).toList())));
        if (closed.size() < batch.size()) {
            List<Close> notClosed = batch.stream().filter(c -> !closed.contains(c.pending().id())).toList();
            closed.addAll(jdbi.withHandle(handle -> RequestHistoryDao.restoreLostAndClose(handle,
                    notClosed.stream().map(Close::pending).toList(),
                    notClosed.stream().map(Close::closing).toList())));
        }
        closedRows.mark(closed.size());
        List<Boolean> results = new ArrayList<>(batch.size());
        batch.forEach(c -> results.add(closed.contains(c.pending().id())));
        return results;
    }

    private List<Boolean> recordAll(List<Close> batch) {
        Set<UUID> recorded = jdbi.withHandle(handle -> RequestHistoryDao.recordAll(handle,
                batch.stream().map(Close::pending).toList(), batch.stream().map(Close::closing).toList()));
        recordedRows.mark(recorded.size());
        return batch.stream().map(c -> recorded.contains(c.pending().id())).toList();
    }

    /** What a closing adds to a statement. */
    private static long weight(Close close) {
        return ROW_OVERHEAD_BYTES + length(close.closing().outcome().responseJson())
                + close.closing().events().stream().mapToLong(e -> length(e.payload())).sum();
    }

    private static long length(String text) {
        return text == null ? 0 : text.length();
    }
}
