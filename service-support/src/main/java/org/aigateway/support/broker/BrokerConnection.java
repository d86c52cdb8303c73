package org.aigateway.support.broker;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import io.dropwizard.lifecycle.Managed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;

/**
 * The service's one AMQP connection. Starting never blocks on the broker: the first connect is retried in the
 * background, later outages are handled by the client's automatic recovery, and every (re)connect runs the
 * registered setup (topology declaration, consumers) again.
 */
public class BrokerConnection implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerConnection.class);

    /** Work to run on every fresh or recovered connection. */
    @FunctionalInterface
    public interface ConnectionSetup {
        void onConnected(Connection connection) throws Exception;
    }

    private final ConnectionFactory factory;
    private final String name;
    private final Duration retryInterval;
    private final List<ConnectionSetup> setups = new CopyOnWriteArrayList<>();
    private volatile Connection connection;
    private volatile boolean stopping;
    private Thread connector;

    public BrokerConnection(ConnectionFactory factory, String name, Duration retryInterval) {
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
                        runSetups(opened);
                    }

                    @Override
                    public void handleRecoveryStarted(Recoverable recoverable) {
                        LOG.warn("Broker connection {} lost, recovering", name);
                    }
                });
                runSetups(opened);
                connection = opened;
                LOG.info("Broker connection {} established", name);
            } catch (IOException | TimeoutException | RuntimeException e) {
                LOG.warn("Broker connection {} failed ({}); retrying in {} ms", name, e.toString(), retryInterval.toMillis());
                sleep();
            }
        }
    }

    private void runSetups(Connection opened) {
        for (ConnectionSetup setup : setups) {
            try {
                setup.onConnected(opened);
            } catch (Exception e) {
                LOG.error("Broker setup on connection {} failed", name, e);
            }
        }
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
        Connection current = connection;
        if (current != null && current.isOpen()) {
            current.close(5000);
        } else if (current != null) {
            // abort also ends an automatic recovery that is still retrying against a dead broker.
            current.abort(5000);
        }
    }
}
