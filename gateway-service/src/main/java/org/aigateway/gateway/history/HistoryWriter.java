package org.aigateway.gateway.history;

import com.codahale.metrics.MetricRegistry;
import io.dropwizard.lifecycle.Managed;
import org.aigateway.gateway.history.RequestHistoryDao.Closing;
import org.aigateway.gateway.history.RequestHistoryDao.Pending;
import org.aigateway.gateway.outbox.OutboxMessage;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
     * more CPU per request. An opening batch and a closing batch still run side by side, and every statement takes
     * its session rows in key order, so they never deadlock.
     */
    private static final int SLOTS_PER_KIND = 1;

    /** A request to close: its opening (to restore a lost row) and how it ended, with its events. */
    private record Close(Pending pending, Closing closing) {
    }

    /** A request whose row is being opened: {@code written} completes once the opening committed, or failed. */
    public record OpenRow(Pending pending, CompletableFuture<Boolean> written) {
        public UUID id() {
            return pending.id();
        }
    }

    private final Jdbi jdbi;
    private final WriteBatcher<Pending, Boolean> openings;
    private final WriteBatcher<Close, Boolean> closings;

    /**
     * Reports rows per statement as {@code history.openings.batch-size} and {@code history.closings.batch-size}, and
     * the time each statement took, commit included, as {@code history.openings.write} and
     * {@code history.closings.write}.
     */
    public HistoryWriter(Jdbi jdbi, MetricRegistry metrics) {
        this.jdbi = jdbi;
        this.openings = new WriteBatcher<>("history-open-writer", SLOTS_PER_KIND, LIMITS,
                pending -> ROW_OVERHEAD_BYTES + length(pending.requestJson()), this::openAll,
                metrics.histogram("history.openings.batch-size"), metrics.timer("history.openings.write"));
        this.closings = new WriteBatcher<>("history-close-writer", SLOTS_PER_KIND, LIMITS,
                close -> ROW_OVERHEAD_BYTES + length(close.closing().outcome().responseJson())
                        + close.closing().events().stream().mapToLong(e -> length(e.payload())).sum(),
                this::closeAll,
                metrics.histogram("history.closings.batch-size"), metrics.timer("history.closings.write"));
    }

    /**
     * Starts writing the request's pending row and returns at once, so that the row is written while the request
     * calls its upstream rather than before: a lone request saves the opening's round trip.
     */
    public OpenRow open(Pending pending) {
        return new OpenRow(pending, openings.writeLater(pending));
    }

    /** Opens the request's row and returns once it is written; throws what writing it threw. */
    public OpenRow openWritten(Pending pending) {
        return new OpenRow(pending, CompletableFuture.completedFuture(openings.write(pending)));
    }

    /**
     * Closes the row with its events, once its opening is written, and returns whether this closed it (false: it was
     * closed before, by the pending-request sweep); returns once the commit is durable. Should the opening have
     * failed, the closing writes the row itself.
     */
    public boolean close(OpenRow row, RequestHistoryDao.Outcome outcome, List<OutboxMessage> events) {
        settled(row).join();
        return closings.write(new Close(row.pending(), new Closing(outcome, events)));
    }

    /** {@link #close}, written by a background thread, for callers that must not wait for the database. */
    public CompletableFuture<Boolean> closeLater(OpenRow row, RequestHistoryDao.Outcome outcome,
                                                 List<OutboxMessage> events) {
        Close close = new Close(row.pending(), new Closing(outcome, events));
        return settled(row).thenCompose(ignored -> closings.writeLater(close));
    }

    /**
     * Completes normally when the row's opening did, however it ended: a closing that finds no row (its opening
     * failed, or a database crash lost it) writes the row again with its outcome.
     */
    private static CompletableFuture<Void> settled(OpenRow row) {
        return row.written().handle((opened, failure) -> {
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
    }

    @Override
    public void stop() throws InterruptedException {
        openings.stop(STOP_TIMEOUT_MS);
        closings.stop(STOP_TIMEOUT_MS);
    }

    private List<Boolean> openAll(List<Pending> batch) {
        jdbi.useHandle(handle -> RequestHistoryDao.openAll(handle, batch, false));
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
        List<Boolean> results = new ArrayList<>(batch.size());
        batch.forEach(c -> results.add(closed.contains(c.pending().id())));
        return results;
    }

    private static long length(String text) {
        return text == null ? 0 : text.length();
    }
}
