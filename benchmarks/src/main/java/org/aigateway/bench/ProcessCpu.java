package org.aigateway.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A running process's CPU time from Linux's {@code /proc}, in clock ticks: all of it (user + system, every thread)
 * and the part its JVM's JIT compiler threads spent.
 */
public final class ProcessCpu {
    /** CPU time so far: the process's, and each JIT compiler thread's by thread id. */
    public record Sample(long ticks, Map<Long, Long> jitTicksByThread) {
        /**
         * What was spent between {@code before} and this sample. A compiler thread the JVM stopped in between takes
         * what it spent since {@code before} with it; one it started counts from zero.
         */
        public Spent since(Sample before) {
            long jit = 0;
            for (Map.Entry<Long, Long> thread : jitTicksByThread.entrySet()) {
                jit += thread.getValue() - before.jitTicksByThread.getOrDefault(thread.getKey(), 0L);
            }
            return new Spent(ticks - before.ticks, jit);
        }
    }

    /** CPU time spent over an interval, in clock ticks. */
    public record Spent(long ticks, long jitTicks) {
        /** The JIT compiler's part of the CPU time, 0 to 1. */
        public double jitShare() {
            return ticks > 0 ? (double) jitTicks / ticks : 0;
        }
    }

    private final Path proc;
    private final ProcThreads threads;
    private final long pid;

    public ProcessCpu(long pid) {
        this(pid, Path.of("/proc"));
    }

    /** Reads under {@code proc} instead of {@code /proc}. */
    ProcessCpu(long pid, Path proc) {
        this.proc = proc;
        this.threads = new ProcThreads(proc);
        this.pid = pid;
    }

    public Sample sample() throws IOException {
        Map<Long, Long> jit = new HashMap<>();
        threads.read(pid, "stat").forEach((tid, stat) -> {
            String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
            if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
                jit.put(tid, ticks(stat));
            }
        });
        return new Sample(ticks(Files.readString(proc.resolve(Long.toString(pid)).resolve("stat"))), jit);
    }

    /** utime + stime of a stat line; the name before them may hold spaces, so fields count from its ')'. */
    static long ticks(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // Fields 14 and 15 of proc(5); the first field after the name is field 3.
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }
}
