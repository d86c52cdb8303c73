package org.aigateway.support.testing;

import javax.net.SocketFactory;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sockets that count the writes their output streams pass to the network, for a client (such as RabbitMQ's) that
 * creates unconnected sockets from a {@link SocketFactory} and connects them itself.
 */
public final class WriteCountingSockets extends SocketFactory {
    private final AtomicInteger writes = new AtomicInteger();
    private final AtomicBoolean failNext = new AtomicBoolean();

    /** Writes so far, over every socket this factory made. */
    public int writes() {
        return writes.get();
    }

    /** The next write, on any socket of this factory, fails as a broken connection's would. */
    public void failNextWrite() {
        failNext.set(true);
    }

    @Override
    public Socket createSocket() {
        return new Socket() {
            private OutputStream counted;

            @Override
            public synchronized OutputStream getOutputStream() throws IOException {
                if (counted == null) {
                    OutputStream network = super.getOutputStream();
                    counted = new FilterOutputStream(network) {
                        @Override
                        public void write(byte[] bytes, int offset, int length) throws IOException {
                            failIfAsked();
                            writes.incrementAndGet();
                            network.write(bytes, offset, length);
                        }

                        @Override
                        public void write(int b) throws IOException {
                            failIfAsked();
                            writes.incrementAndGet();
                            network.write(b);
                        }
                    };
                }
                return counted;
            }
        };
    }

    private void failIfAsked() throws IOException {
        if (failNext.compareAndSet(true, false)) {
            throw new IOException("Broken pipe (as asked)");
        }
    }

    @Override
    public Socket createSocket(String host, int port) {
        throw new UnsupportedOperationException("only unconnected sockets are made");
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
        throw new UnsupportedOperationException("only unconnected sockets are made");
    }

    @Override
    public Socket createSocket(InetAddress host, int port) {
        throw new UnsupportedOperationException("only unconnected sockets are made");
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
        throw new UnsupportedOperationException("only unconnected sockets are made");
    }
}
