package org.aigateway.gateway;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Keeps a copy of everything written to {@code System.err} while installed and still passes it on. Console log
 * appenders look {@code System.err} up on every write, so this sees the application and request logs.
 */
final class StderrCapture implements AutoCloseable {
    private final PrintStream original;
    private final ByteArrayOutputStream copy = new ByteArrayOutputStream();

    private StderrCapture(PrintStream original) {
        this.original = original;
    }

    static StderrCapture install() {
        StderrCapture capture = new StderrCapture(System.err);
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                capture.original.write(b);
                synchronized (capture.copy) {
                    capture.copy.write(b);
                }
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
                capture.original.write(bytes, offset, length);
                synchronized (capture.copy) {
                    capture.copy.write(bytes, offset, length);
                }
            }

            @Override
            public void flush() {
                capture.original.flush();
            }
        }, true, StandardCharsets.UTF_8));
        return capture;
    }

    String text() {
        synchronized (copy) {
            return copy.toString(StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() {
        System.setErr(original);
    }
}
