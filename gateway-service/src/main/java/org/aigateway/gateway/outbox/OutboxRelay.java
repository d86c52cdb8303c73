package org.aigateway.gateway.outbox;

import com.codahale.metrics.CachedGauge;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.MessageProperties;
import io.dropwizard.lifecycle.Managed;
import org.aigateway.contracts.Topology;
import org.aigateway.support.broker.BrokerConnection;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.core.statement.StatementCustomizer;
import org.postgresql.PGStatement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Publishes outbox rows to RabbitMQ with asynchronous publisher confirms and deletes a row only after the broker
 * confirmed it. Nacked, returned (unroutable) and never-confirmed messages stay unsent and are published again, so
 * delivery is at-least-once; the consumer dedupes by event id. One thread owns the channel; the confirm callbacks,
 * which run on the connection's I/O thread, only hand results over to it. A round's publishes are
 * {@link BrokerConnection#sendTogether sent together}.
 */
public class OutboxRelay implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);
    private static final Duration MAX_REFUSED_BACKOFF = Duration.ofSeconds(5);
    /**
     * Keeps the relay's statements from being prepared on the server, so that each execution is planned for the
     * outbox as it is then. The driver prepares a statement on the server after five executions, and the gateway's
     * connections keep one plan for any values (config/gateway.yml): made while the outbox was empty, as it mostly
     * is, that plan scans and sorts the whole table for each read, and scans it for each delete. Should a backlog form
     * later (the broker down, a burst), every round scanned all of it: under load at concurrency 64 a relay in that
     * state published 2,800 events a second where the gateway queued 7,200, and a backlog of 60,000 rows grew to
     * 190,000 within 30 s. Set on the statements rather than the session, it ends with the relay's handle; no other
     * code runs these statements on the connection.
     */
    private static final StatementCustomizer NOT_SERVER_PREPARED = new StatementCustomizer() {
        @Override
        public void beforeExecution(PreparedStatement statement, StatementContext context) throws SQLException {
            statement.unwrap(PGStatement.class).setPrepareThreshold(0);
        }
    };

    private record InFlight(long txid, long outboxId, UUID eventId, long publishedNanos) {
    }

    private final Jdbi jdbi;
    private final BrokerConnection broker;
    private final int window;
    private final int batchSize;
    private final Duration pollInterval;
    private final Duration batchDelay;
    private final Duration confirmTimeout;

    private final ConcurrentNavigableMap<Long, InFlight> unconfirmed = new ConcurrentSkipListMap<>();
    private final Set<Long> inFlightIds = ConcurrentHashMap.newKeySet();
    private final BlockingQueue<InFlight> confirmed = new LinkedBlockingQueue<>();
    private final Set<UUID> returned = ConcurrentHashMap.newKeySet();
    private final Semaphore wakeUp = new Semaphore(0);
    /** Released by the broker's confirms, which the relay waits for instead of new rows while its window is full. */
    private final Semaphore confirmsArrived = new Semaphore(0);
    private final Meter published;
    private final Meter confirmedMeter;
    private final Meter nacked;
    private final Meter returnedMeter;

    private volatile boolean running;
    private volatile boolean rescan;
    /** A message came back nacked or unroutable since the relay last looked. */
    private volatile boolean refused;
    private volatile boolean channelBroken;
    private Thread thread;
    private Channel channel;
    /** The relay thread's own connection, with the DAO attached once: on-demand attaching cost more than a read. */
    private Handle handle;
    private OutboxDao outbox;
    private long cursorTxid;
    private long cursorId;
    /** When the database's server started, as of the relay's last look; 0 before the first. */
    private long serverStarted;
    private long refusedBackoffNanos;
    private long lastRefusedNanos;
    /** When refused messages are next published again (a read from the start); 0 when none wait. */
    private long retryRefusedAtNanos;

    public OutboxRelay(Jdbi jdbi, BrokerConnection broker, OutboxRelayFactory settings, MetricRegistry metrics) {
        this.jdbi = jdbi;
        this.broker = broker;
        this.window = settings.getConfirmWindow();
        this.batchSize = settings.getBatchSize();
        this.pollInterval = settings.getPollInterval().toJavaDuration();
        this.batchDelay = settings.getBatchDelay().toJavaDuration();
        this.confirmTimeout = settings.getConfirmTimeout().toJavaDuration();
        this.published = metrics.meter("outbox.published");
        this.confirmedMeter = metrics.meter("outbox.confirmed");
        this.nacked = metrics.meter("outbox.nacked");
        this.returnedMeter = metrics.meter("outbox.returned");
        metrics.register("outbox.in-flight", (com.codahale.metrics.Gauge<Integer>) inFlightIds::size);
        OutboxDao onDemand = jdbi.onDemand(OutboxDao.class);
        metrics.register("outbox.backlog", new CachedGauge<Long>(5, TimeUnit.SECONDS) {
            @Override
            protected Long loadValue() {
                return onDemand.countUnsent();
            }
        });
    }

    /** Asks the relay to look at the outbox now instead of at its next poll. */
    public void wakeUp() {
        signal(wakeUp);
    }

    /** Gives the relay a permit to wake up with, unless one is waiting already: one wake-up serves any number. */
    private static void signal(Semaphore semaphore) {
        if (semaphore.availablePermits() == 0) {
            semaphore.release();
        }
    }

    @Override
    public void start() {
        running = true;
        thread = new Thread(this::run, "outbox-relay");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void stop() throws InterruptedException {
        running = false;
        wakeUp();
        signal(confirmsArrived);
        if (thread != null) {
            thread.join(10_000);
        }
        if (thread == null || !thread.isAlive()) {
            try {
                deleteConfirmed();
            } catch (RuntimeException e) {
                LOG.warn("Could not delete the last confirmed outbox rows; they will be published again", e);
            }
            closeHandle();
        }
        closeChannel();
    }

    private void run() {
        while (running) {
            try {
                if (relayOnce()) {
                    continue;
                }
                if (inFlightIds.size() >= window) {
                    // A backlog filled the window: it waits for confirms, which free room at once, or for the poll.
                    // The batch delay, there to gather new rows, would hold the backlog up once for every window.
                    confirmsArrived.tryAcquire(pollInterval.toMillis(), TimeUnit.MILLISECONDS);
                } else if (wakeUp.tryAcquire(pollInterval.toMillis(), TimeUnit.MILLISECONDS)) {
                    Thread.sleep(batchDelay.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                LOG.warn("Outbox relay cycle failed ({}); retrying", e.toString());
                resetChannel();
                closeHandle();
                sleepQuietly();
            }
        }
    }

    /**
     * One round of work; returns whether more may be waiting. Otherwise the relay waits for a wake-up or the poll, or,
     * with its confirm window full, for confirms or the poll.
     */
    boolean relayOnce() throws Exception {
        if (databaseWentBack()) {
            LOG.warn("The outbox's database was restarted, restored or replaced, or its transaction ids went back "
                    + "behind the relay's position; publishing what was in flight again and reading from the start");
            forgetInFlight();
        }
        boolean worked = deleteConfirmed();
        if (!broker.isOpen()) {
            return worked;
        }
        expireUnconfirmed();
        ensureChannel();
        scheduleRefused();
        if (rescan) {
            rescan = false;
            cursorTxid = 0;
            cursorId = 0;
        }
        int room = window - inFlightIds.size();
        if (room <= 0) {
            return worked;
        }
        int limit = Math.min(batchSize, room);
        List<OutboxMessage> rows = outbox().unsentAfter(cursorTxid, cursorId, limit);
        if (rows.isEmpty()) {
            return false;
        }
        broker.sendTogether(() -> {
            for (OutboxMessage row : rows) {
                cursorTxid = row.txid();
                cursorId = row.id();
                if (!inFlightIds.contains(row.id())) {
                    publish(row);
                }
            }
        });
        // Only a full read means more is waiting; rows committed since then wake the relay themselves, so reading
        // again now would cost a query per request under light load.
        return rows.size() == limit;
    }

    /**
     * Nacked and unroutable messages (a queue unbound, say) are published again by a read from the start after a
     * pause that doubles while they keep coming back, up to {@link #MAX_REFUSED_BACKOFF}; new rows go out meanwhile.
     * Reading from the start at once would send an unroutable backlog round as fast as the broker returns it.
     */
    private void scheduleRefused() {
        long now = System.nanoTime();
        if (refused) {
            refused = false;
            lastRefusedNanos = now;
            if (retryRefusedAtNanos == 0) {
                refusedBackoffNanos = Math.min(MAX_REFUSED_BACKOFF.toNanos(),
                        refusedBackoffNanos == 0 ? pollInterval.toNanos() : refusedBackoffNanos * 2);
                retryRefusedAtNanos = now + refusedBackoffNanos;
            }
        } else if (refusedBackoffNanos > 0 && retryRefusedAtNanos == 0
                && now - lastRefusedNanos > 2 * refusedBackoffNanos) {
            refusedBackoffNanos = 0;
        }
        if (retryRefusedAtNanos != 0 && now - retryRefusedAtNanos >= 0) {
            retryRefusedAtNanos = 0;
            rescan = true;
        }
    }

    private void publish(OutboxMessage row) throws IOException {
        AMQP.BasicProperties properties = MessageProperties.PERSISTENT_BASIC.builder()
                .messageId(row.eventId().toString())
                .contentType("application/json")
                .contentEncoding("utf-8")
                .timestamp(new java.util.Date())
                .build();
        long sequence = channel.getNextPublishSeqNo();
        unconfirmed.put(sequence, new InFlight(row.txid(), row.id(), row.eventId(), System.nanoTime()));
        inFlightIds.add(row.id());
        channel.basicPublish(Topology.EXCHANGE, row.routingKey(), true, properties,
                row.payload().getBytes(StandardCharsets.UTF_8));
        published.mark();
    }

    private boolean deleteConfirmed() {
        List<InFlight> rows = new ArrayList<>();
        confirmed.drainTo(rows);
        if (rows.isEmpty()) {
            return false;
        }
        outbox().deleteSent(rows.stream().mapToLong(InFlight::txid).toArray(),
                rows.stream().mapToLong(InFlight::outboxId).toArray(), serverStarted);
        rows.forEach(row -> inFlightIds.remove(row.outboxId()));
        confirmedMeter.mark(rows.size());
        return true;
    }

    /**
     * Whether the database is no longer the one the position and the confirmed rows refer to, while this connection
     * lived on (behind a pooler, say): its server started anew (a restore, a failover, a server restart; a crash
     * recovered in place keeps the start time), or its transaction ids went back behind the position. Every row read
     * had a transaction below that read's horizon, and horizons only move forward; after a restore or a failover to a
     * standby that lacked the newest transactions, rows written since would sort behind the position and a confirmed
     * row's (txid, id) may name another row.
     */
    private boolean databaseWentBack() {
        OutboxDao.Horizon now = outbox().horizon();
        boolean newServer = serverStarted != 0 && serverStarted != now.serverStarted();
        serverStarted = now.serverStarted();
        return newServer || (cursorTxid != 0 && now.xmin() <= cursorTxid);
    }

    /** Moves the position the next read starts after; tests use it to stand for a database whose ids went back. */
    void positionAt(long txid, long id) {
        cursorTxid = txid;
        cursorId = id;
    }

    private OutboxDao outbox() {
        if (outbox == null) {
            handle = jdbi.open();
            handle.addCustomizer(NOT_SERVER_PREPARED);
            outbox = handle.attach(OutboxDao.class);
        }
        return outbox;
    }

    private void closeHandle() {
        Handle current = handle;
        handle = null;
        outbox = null;
        if (current != null) {
            try {
                current.close();
            } catch (RuntimeException e) {
                LOG.debug("Ignoring failure to close the outbox relay's connection", e);
            }
        }
    }

    private void ensureChannel() throws Exception {
        if (channel != null && !channelBroken && channel.isOpen()) {
            return;
        }
        resetChannel();
        Channel opened = broker.createChannel();
        opened.confirmSelect();
        opened.addConfirmListener(new ConfirmListener() {
            @Override
            public void handleAck(long sequence, boolean multiple) {
                settle(sequence, multiple, true);
            }

            @Override
            public void handleNack(long sequence, boolean multiple) {
                settle(sequence, multiple, false);
            }
        });
        opened.addReturnListener(returnedMessage -> {
            returnedMeter.mark();
            returned.add(UUID.fromString(returnedMessage.getProperties().getMessageId()));
        });
        // A recovered channel restarts its sequence numbers and loses pending confirms: start over with a new one.
        opened.addShutdownListener(cause -> {
            channelBroken = true;
            signal(confirmsArrived);
        });
        channelBroken = false;
        channel = opened;
    }

    private void settle(long sequence, boolean multiple, boolean ack) {
        Map<Long, InFlight> settled = multiple ? unconfirmed.headMap(sequence, true) : subMapOf(sequence);
        for (InFlight message : settled.values()) {
            boolean wasReturned = returned.remove(message.eventId());
            if (ack && !wasReturned) {
                confirmed.add(message);
            } else {
                // Stays unsent in the table; the next scan publishes it again.
                nacked.mark();
                inFlightIds.remove(message.outboxId());
                refused = true;
            }
        }
        settled.clear();
        signal(confirmsArrived);
    }

    private Map<Long, InFlight> subMapOf(long sequence) {
        return unconfirmed.subMap(sequence, true, sequence, true);
    }

    private void expireUnconfirmed() {
        long oldestAllowed = System.nanoTime() - confirmTimeout.toNanos();
        Map.Entry<Long, InFlight> oldest = unconfirmed.firstEntry();
        if (oldest != null && oldest.getValue().publishedNanos() < oldestAllowed) {
            LOG.warn("Publisher confirms overdue for {} outbox messages; publishing them again", unconfirmed.size());
            resetChannel();
        }
    }

    /** Deletes what the broker confirmed, then forgets the rest in flight: unconfirmed rows are published again. */
    private void resetChannel() {
        try {
            deleteConfirmed();
        } catch (RuntimeException e) {
            LOG.warn("Could not delete confirmed outbox rows; they will be published again ({})", e.toString());
        }
        forgetInFlight();
    }

    /**
     * Forgets what is in flight without deleting anything: unconfirmed rows, and confirmed ones not deleted yet, are
     * published again, and the outbox is read from the start.
     */
    private void forgetInFlight() {
        closeChannel();
        unconfirmed.clear();
        returned.clear();
        inFlightIds.clear();
        confirmed.clear();
        cursorTxid = 0;
        cursorId = 0;
    }

    private void closeChannel() {
        Channel current = channel;
        channel = null;
        if (current != null) {
            try {
                current.abort();
            } catch (Exception e) {
                LOG.debug("Ignoring failure to abort the outbox channel", e);
            }
        }
    }

    private void sleepQuietly() {
        try {
            Thread.sleep(pollInterval.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }
}
