package org.aigateway.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

/** The calling thread as Linux's {@code /proc} knows it, and a way to make it spend CPU time. */
final class ThisThread {
    private ThisThread() {
    }

    /** The calling thread's id: /proc/thread-self links to {@code <pid>/task/<tid>}. */
    static long tid() throws IOException {
        return Long.parseLong(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
    }

    /**
     * Keeps the calling thread on a core until it has spent {@code nanos} more of CPU time. Returns what it computed,
     * which callers check so that the loop cannot be optimised away.
     */
    static long spendCpu(long nanos) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long until = threads.getCurrentThreadCpuTime() + nanos;
        long spin = 0;
        while (threads.getCurrentThreadCpuTime() < until) {
            spin += Long.numberOfTrailingZeros(spin + System.nanoTime());
        }
        return spin;
    }
}
