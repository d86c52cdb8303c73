package org.aigateway.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A running process's CPU time from Linux's {@code /proc}, in clock ticks: all of it (user + system, every thread)
 * and the part its JVM's JIT compiler threads spent, which {@code scripts/bench/run.sh} reads the same way for the
 * chat part's warm-up.
 */
public final class ProcessCpu {
    /** CPU time so far, in clock ticks. */
    public record Sample(long ticks, long jitTicks) {
        /** What was spent between {@code before} and this sample. */
        public Sample since(Sample before) {
            // The JVM stops compiler threads it no longer needs, and their time leaves the sum with them.
            return new Sample(ticks - before.ticks, Math.max(0, jitTicks - before.jitTicks));
        }
    }

    private final Path process;

    public ProcessCpu(long pid) {
        this.process = Path.of("/proc", Long.toString(pid));
    }

    public Sample sample() throws IOException {
        long jit = 0;
        try (Stream<Path> tasks = Files.list(process.resolve("task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (NoSuchFileException ended) {
                    continue;
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
                    jit += ticks(stat);
                }
            }
        }
        return new Sample(ticks(Files.readString(process.resolve("stat"))), jit);
    }

    /** utime + stime of a stat line; the name before them may hold spaces, so fields count from its ')'. */
    static long ticks(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // Fields 14 and 15 of proc(5); the first field after the name is field 3.
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }
}
