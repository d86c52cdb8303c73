package org.aigateway.support.broker;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import io.dropwizard.lifecycle.Managed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The service's one AMQP connection. Starting never blocks on the broker: the first connect is retried in the
 * background, later outages are handled by the client's automatic recovery, and every (re)connect runs the
 * registered setup (topology declaration, consumers) again, retrying it with backoff until it succeeds.
 */
public class BrokerConnection implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerConnection.class);
    static final Duration MAX_SETUP_BACKOFF = Duration.ofSeconds(30);

    /** Work to run on every fresh or recovered connection; it must be safe to run again after a partial failure. */
    @FunctionalInterface
    public interface ConnectionSetup {
        void onConnected(Connection connection) throws Exception;
    }

    private final BatchingConnectionFactory factory;
    private final String name;
    private final Duration retryInterval;
    private final List<ConnectionSetup> setups = new CopyOnWriteArrayList<>();
    /** Bumped by every (re)connect and every request to set up again; a retry of an older round gives up. */
    private final AtomicLong setupRound = new AtomicLong();
    private volatile Connection connection;
    private volatile boolean stopping;
    private volatile boolean setUp;
    private volatile String setupFailure;
    private Thread connector;
    private ScheduledExecutorService setupRunner;

    public BrokerConnection(BatchingConnectionFactory factory, String name, Duration retryInterval) {
        this.factory = factory;
        this.name = name;
        this.retryInterval = retryInterval;
    }

    /** Registers setup work; call before {@link #start()}. */
    public void onConnected(ConnectionSetup setup) {
        setups.add(setup);
    }

    @Override
    public void start() {
        setupRunner = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "broker-setup-" + name);
            thread.setDaemon(true);
            return thread;
        });
        connector = new Thread(this::connectUntilStopped, "broker-connect-" + name);
        connector.setDaemon(true);
        connector.start();
    }

    private void connectUntilStopped() {
        while (!stopping && connection == null) {
            try {
                Connection opened = factory.newConnection(name);
                ((Recoverable) opened).addRecoveryListener(new RecoveryListener() {
                    @Override
                    public void handleRecovery(Recoverable recoverable) {
                        LOG.info("Broker connection {} recovered", name);
                        setUpAgain();
                    }

                    @Override
                    public void handleRecoveryStarted(Recoverable recoverable) {
                        setUp = false;
                        LOG.warn("Broker connection {} lost, recovering", name);
                    }
                });
                connection = opened;
                LOG.info("Broker connection {} established", name);
                setUpAgain();
            } catch (IOException | TimeoutException | RuntimeException e) {
                LOG.warn("Broker connection {} failed ({}); retrying in {} ms", name, e.toString(), retryInterval.toMillis());
                sleep();
            }
        }
    }

    /**
     * Runs every setup again on the current connection, for instance after the broker cancelled a consumer; until
     * that succeeds {@link #isReady()} is false. Returns at once: the work and its retries run in the background.
     */
    public void setUpAgain() {
        long round = setupRound.incrementAndGet();
        setUp = false;
        schedule(round, 0, 0);
    }

    private void schedule(long round, int failures, long delayMillis) {
        try {
            setupRunner.schedule(() -> runSetups(round, failures), delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // Stopping: nothing is set up any more.
        }
    }

    private void runSetups(long round, int failures) {
        Connection current = connection;
        // A newer round owns the work; a connection that is down gets a new round when it recovers.
        if (stopping || round != setupRound.get() || current == null || !current.isOpen()) {
            return;
        }
        try {
            for (ConnectionSetup setup : setups) {
                setup.onConnected(current);
            }
        } catch (Exception e) {
            long delay = backoffMillis(failures);
            setupFailure = describe(e);
            if (failures == 0) {
                LOG.error("Broker setup on connection {} failed; trying again in {} ms", name, delay, e);
            } else {
                LOG.warn("Broker setup on connection {} failed again (attempt {}: {}); trying again in {} ms", name,
                        failures + 1, setupFailure, delay);
            }
            schedule(round, failures + 1, delay);
            return;
        }
        if (round == setupRound.get()) {
            setUp = true;
            setupFailure = null;
            if (failures > 0) {
                LOG.info("Broker setup on connection {} succeeded after {} failed attempts", name, failures);
            }
        }
    }

    /** The retry interval, doubled after each consecutive failure, at most {@link #MAX_SETUP_BACKOFF}. */
    long backoffMillis(int failures) {
        long base = Math.max(1, retryInterval.toMillis());
        long delay = base << Math.min(failures, 20);
        return Math.min(delay, Math.max(base, MAX_SETUP_BACKOFF.toMillis()));
    }

    /** The innermost cause: the broker's own words (a refused declare wraps its channel error in an IOException). */
    private static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }

    private void sleep() {
        try {
            Thread.sleep(retryInterval.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        }
    }

    /** True while the connection is open (false during recovery and before the first connect). */
    public boolean isOpen() {
        Connection current = connection;
        return current != null && current.isOpen();
    }

    /** True while the connection is open and every setup has succeeded on it since it last (re)connected. */
    public boolean isReady() {
        return isOpen() && setUp;
    }

    /** Why the last setup attempt failed, or null when it did not. */
    public String setupFailure() {
        return setupFailure;
    }

    /** Opens a channel, failing if the broker is not connected right now. */
    public Channel createChannel() throws IOException {
        Connection current = connection;
        if (current == null || !current.isOpen()) {
            throw new IOException("broker connection " + name + " is not open");
        }
        Channel channel = current.createChannel();
        if (channel == null) {
            throw new IOException("broker connection " + name + " has no free channel");
        }
        return channel;
    }

    /** Sends a run of publishes together: {@link BatchingConnectionFactory#sendTogether}. */
    public void sendTogether(BatchingConnectionFactory.Sends sends) throws IOException {
        factory.sendTogether(sends);
    }

    public String getName() {
        return name;
    }

    @Override
    public void stop() throws Exception {
        stopping = true;
        if (connector != null) {
            connector.interrupt();
            connector.join(retryInterval.toMillis() + 1000);
        }
        if (setupRunner != null) {
            setupRunner.shutdownNow();
            setupRunner.awaitTermination(5, TimeUnit.SECONDS);
        }
        Connection current = connection;
        if (current != null && current.isOpen()) {
            current.close(5000);
        } else if (current != null) {
            // abort also ends an automatic recovery that is still retrying against a dead broker.
            current.abort(5000);
        }
    }
}
