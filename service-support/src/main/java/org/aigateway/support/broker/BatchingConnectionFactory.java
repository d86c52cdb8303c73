package org.aigateway.support.broker;

import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.WriteListener;
import com.rabbitmq.client.impl.AMQConnection;
import com.rabbitmq.client.impl.Frame;
import com.rabbitmq.client.impl.FrameHandler;
import com.rabbitmq.client.impl.FrameHandlerFactory;
import com.rabbitmq.client.impl.SocketFrameHandler;

import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketException;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A connection factory whose connections can send a run of publishes together. The client flushes its socket after
 * every command, which costs a system call per published message, and a wake-up of the broker's reader for each;
 * inside {@link #sendTogether} the calling thread's flushes wait until the run ends, so the run leaves in as few
 * writes as the client's buffer allows. Other threads (heartbeats, other channels) flush as usual, and flush the
 * held frames with their own.
 */
public class BatchingConnectionFactory extends ConnectionFactory {
    /** Something that only sends asynchronous commands, such as publishes. */
    @FunctionalInterface
    public interface Sends {
        void run() throws IOException;
    }

    /** The frame handlers whose flushes the current thread holds back; null outside {@link #sendTogether}. */
    private final ThreadLocal<Set<FlushHoldingFrameHandler>> heldFlushes = new ThreadLocal<>();

    /**
     * Runs the sends, then flushes what they wrote, also when they fail. Only asynchronous commands may run inside:
     * a synchronous one (a declare, opening a channel) would wait for the answer to a request that has not left yet.
     */
    public void sendTogether(Sends sends) throws IOException {
        if (heldFlushes.get() != null) {
            sends.run();
            return;
        }
        Set<FlushHoldingFrameHandler> held = new LinkedHashSet<>();
        heldFlushes.set(held);
        Throwable failure = null;
        try {
            sends.run();
        } catch (Throwable e) {
            failure = e;
            throw e;
        } finally {
            heldFlushes.remove();
            flushAll(held, failure);
        }
    }

    /** Flushes every handler even when one fails; the first failure is thrown unless the sends already failed. */
    private static void flushAll(Set<FlushHoldingFrameHandler> held, Throwable earlier) throws IOException {
        Exception first = null;
        for (FlushHoldingFrameHandler handler : held) {
            try {
                handler.flushHeld();
            } catch (IOException | RuntimeException e) {
                if (earlier != null) {
                    earlier.addSuppressed(e);
                } else if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first instanceof IOException io) {
            throw io;
        }
        if (first != null) {
            throw (RuntimeException) first;
        }
    }

    /**
     * Wraps the blocking socket transport's handlers only: the NIO transport writes from its own thread and has
     * nothing to hold, and Netty's would stop taking frames once its unflushed writes passed its buffer limit.
     */
    @Override
    protected synchronized FrameHandlerFactory createFrameHandlerFactory() throws IOException {
        FrameHandlerFactory transports = super.createFrameHandlerFactory();
        return (address, connectionName) -> {
            FrameHandler handler = transports.create(address, connectionName);
            return handler instanceof SocketFrameHandler ? new FlushHoldingFrameHandler(handler) : handler;
        };
    }

    private final class FlushHoldingFrameHandler implements FrameHandler {
        private final FrameHandler socket;
        /** Set once the connection starts; its flush hands a failed write to automatic recovery. */
        private volatile AMQConnection connection;

        FlushHoldingFrameHandler(FrameHandler socket) {
            this.socket = socket;
        }

        @Override
        public void flush(WriteListener listener) throws IOException {
            Set<FlushHoldingFrameHandler> held = heldFlushes.get();
            // A command that asked to hear when it was written is not kept waiting.
            if (held != null && listener == null) {
                held.add(this);
                return;
            }
            socket.flush(listener);
        }

        /** Called once the hold is lifted, so the connection's flush comes back here and passes through. */
        void flushHeld() throws IOException {
            AMQConnection owner = connection;
            if (owner != null) {
                owner.flush();
            } else {
                socket.flush(null);
            }
        }

        @Override
        public void writeFrame(Frame frame) throws IOException {
            socket.writeFrame(frame);
        }

        @Override
        public Frame readFrame() throws IOException {
            return socket.readFrame();
        }

        @Override
        public boolean internalHearbeat() {
            return socket.internalHearbeat();
        }

        @Override
        public void setTimeout(int timeoutMs) throws SocketException {
            socket.setTimeout(timeoutMs);
        }

        @Override
        public int getTimeout() throws SocketException {
            return socket.getTimeout();
        }

        @Override
        public void sendHeader() throws IOException {
            socket.sendHeader();
        }

        @Override
        public void initialize(AMQConnection connection) {
            this.connection = connection;
            socket.initialize(connection);
        }

        @Override
        public void startProcessing() {
            socket.startProcessing();
        }

        @Override
        public void finishConnectionNegotiation() {
            socket.finishConnectionNegotiation();
        }

        @Override
        public void setFrameMax(int frameMax) {
            socket.setFrameMax(frameMax);
        }

        @Override
        public void close() {
            socket.close();
        }

        @Override
        public InetAddress getLocalAddress() {
            return socket.getLocalAddress();
        }

        @Override
        public int getLocalPort() {
            return socket.getLocalPort();
        }

        @Override
        public InetAddress getAddress() {
            return socket.getAddress();
        }

        @Override
        public int getPort() {
            return socket.getPort();
        }
    }
}
