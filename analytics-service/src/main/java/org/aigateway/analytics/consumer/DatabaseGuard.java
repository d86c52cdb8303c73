package org.aigateway.analytics.consumer;

import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Set;
import java.util.function.BooleanSupplier;

/** Tells an unavailable database apart from a failing message, and waits an outage out. */
// A batch that fails because of the database must be held and tried again, never retried per message or dead-lettered.
public class DatabaseGuard {
    private static final Logger LOG = LoggerFactory.getLogger(DatabaseGuard.class);

    /**
     * States that say nothing about the batch: the server is shutting down or refusing connections (57P0x, 53300,
     * 55000 for ALLOW_CONNECTIONS false), or the transaction lost a race it would win next time (40001, 40P01).
     */
    private static final Set<String> TRANSIENT_STATES = Set.of(
            "57P01", "57P02", "57P03", "53300", "53400", "55000", "40001", "40P01");

    private final Jdbi jdbi;
    private final Duration checkInterval;

    public DatabaseGuard(Jdbi jdbi, Duration checkInterval) {
        this.jdbi = jdbi;
        this.checkInterval = checkInterval;
    }

    /** True when the failure is the database's, not the batch's: it is worth the same batch again, unchanged. */
    public boolean isTransient(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException
                    || t instanceof SQLRecoverableException || t instanceof SocketException
                    || t instanceof SocketTimeoutException || t instanceof EOFException) {
                return true;
            }
            if (t instanceof SQLException sql && isTransientState(sql)) {
                return true;
            }
            // The pool timing out waiting for a free connection (tomcat-jdbc's PoolExhaustedException).
            if (t.getClass().getSimpleName().equals("PoolExhaustedException")) {
                return true;
            }
        }
        // A failure that names no cause is still an outage if the database cannot be reached right now.
        return !isReachable();
    }

    private static boolean isTransientState(SQLException e) {
        for (SQLException next = e; next != null; next = next.getNextException()) {
            String state = next.getSQLState();
            if (state != null && (state.startsWith("08") || TRANSIENT_STATES.contains(state))) {
                return true;
            }
        }
        return false;
    }

    public boolean isReachable() {
        try {
            jdbi.useHandle(handle -> handle.execute("SELECT 1"));
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Blocks until the database answers, checking at the configured interval; false if {@code keepWaiting}
     * turned false first (the consumer is stopping, or the held batch went stale).
     */
    public boolean awaitReachable(String who, BooleanSupplier keepWaiting) throws InterruptedException {
        boolean logged = false;
        while (keepWaiting.getAsBoolean()) {
            if (isReachable()) {
                if (logged) {
                    LOG.info("{}: database reachable again, resuming", who);
                }
                return true;
            }
            if (!logged) {
                LOG.warn("{}: database unavailable; holding the batch unacknowledged until it answers", who);
                logged = true;
            }
            Thread.sleep(checkInterval.toMillis());
        }
        return false;
    }
}
