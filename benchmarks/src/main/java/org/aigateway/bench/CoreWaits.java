package org.aigateway.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How long the threads of some processes ran and how long they waited for a core while a load ran, from Linux's
 * per-thread {@code schedstat}. Threads are sampled every interval and each thread's growth between two samples is
 * counted, so threads that start during the load count from their start; a thread that ends takes what it did since
 * the last sample with it.
 * <p>
 * {@code --processes "gateway=123 postgres=+456"} names the processes: a list of pids, or {@code +pid} for a process
 * and its children as of each sample (a database server's backends). Sampling goes on while the process
 * {@code --while-running} (the load generator) lives; the interval in which it ended is left out. It prints, under
 * {@code --prefix}, the names in order ({@code processes}), each name's {@code run_ms} and {@code wait_ms}, the
 * seconds sampled ({@code sampled_seconds}) and how idle the machine's cores were ({@code idle_percent}).
 */
public final class CoreWaits {
    private static final ProcThreads THREADS = new ProcThreads();

    /** What one thread's schedstat says: nanoseconds on a core and nanoseconds waiting in a run queue for one. */
    record Times(long runNanos, long waitNanos) {
        static final Times NONE = new Times(0, 0);

        static Times parse(String schedstat) {
            String[] fields = schedstat.trim().split("\\s+");
            return new Times(Long.parseLong(fields[0]), Long.parseLong(fields[1]));
        }

        Times plus(Times other) {
            return new Times(runNanos + other.runNanos, waitNanos + other.waitNanos);
        }

        Times minus(Times other) {
            return new Times(runNanos - other.runNanos, waitNanos - other.waitNanos);
        }
    }

    /** A named group of processes: fixed pids, or a parent whose children are looked up at every sample. */
    record Group(String name, List<Long> pids, boolean withChildren) {
        /** {@code name=1,2,3} or {@code name=+1}. */
        static Group parse(String spec) {
            int equals = spec.indexOf('=');
            if (equals <= 0 || equals == spec.length() - 1) {
                throw new IllegalArgumentException("expected name=pid[,pid...] or name=+pid, got: " + spec);
            }
            String pids = spec.substring(equals + 1);
            boolean children = pids.startsWith("+");
            List<Long> list = new ArrayList<>();
            for (String pid : (children ? pids.substring(1) : pids).split(",")) {
                list.add(Long.parseLong(pid.trim()));
            }
            return new Group(spec.substring(0, equals), List.copyOf(list), children);
        }
    }

    /**
     * Adds up each thread's growth between consecutive samples. A thread seen for the first time after the first
     * sample started since the one before, so all it did counts.
     */
    static final class Tally {
        private Map<String, Times> last;
        private Times total = Times.NONE;

        void add(Map<String, Times> sample) {
            if (last != null) {
                for (Map.Entry<String, Times> thread : sample.entrySet()) {
                    total = total.plus(thread.getValue().minus(last.getOrDefault(thread.getKey(), Times.NONE)));
                }
            }
            last = sample;
        }

        Times total() {
            return total;
        }
    }

    /** The machine's CPU time so far, in clock ticks: busy, and idle (waiting for I/O included). */
    record CpuTicks(long busy, long idle) {
        /** The {@code cpu} line of {@code /proc/stat}: user nice system idle iowait irq softirq steal (guest is in user). */
        static CpuTicks parse(String cpuLine) {
            String[] fields = cpuLine.trim().split("\\s+");
            long busy = 0;
            long idle = 0;
            for (int i = 1; i <= 8 && i < fields.length; i++) {
                long value = Long.parseLong(fields[i]);
                if (i == 4 || i == 5) {
                    idle += value;
                } else {
                    busy += value;
                }
            }
            return new CpuTicks(busy, idle);
        }

        static CpuTicks now() throws IOException {
            return parse(Files.readAllLines(Path.of("/proc/stat")).get(0));
        }

        double idlePercentSince(CpuTicks before) {
            long busySince = busy - before.busy;
            long idleSince = idle - before.idle;
            return 100.0 * idleSince / Math.max(1, busySince + idleSince);
        }
    }

    private CoreWaits() {
    }

    public static void run(Args args) throws Exception {
        List<Group> groups = new ArrayList<>();
        for (String spec : args.string("processes").trim().split("\\s+")) {
            groups.add(Group.parse(spec));
        }
        ProcessHandle load = ProcessHandle.of(Long.parseLong(args.string("while-running")))
                .orElseThrow(() -> new IllegalStateException("process " + args.string("while-running") + " is not running"));
        long intervalNanos = args.duration("interval", Duration.ofMillis(200)).toNanos();

        Map<String, Tally> tallies = new LinkedHashMap<>();
        for (Group group : groups) {
            Map<String, Times> first = sample(group);
            if (first.isEmpty() || (group.withChildren()
                    && group.pids().stream().allMatch(pid -> children(pid).isEmpty()))) {
                throw new IllegalStateException("no threads found for " + group + ": is /proc readable, with "
                        + "/proc/<pid>/task/*/children for a +pid group?");
            }
            Tally tally = new Tally();
            tally.add(first);
            tallies.put(group.name(), tally);
        }
        CpuTicks cpuBefore = CpuTicks.now();
        long started = System.nanoTime();
        long sampled = started;
        CpuTicks cpuSampled = cpuBefore;
        while (true) {
            Thread.sleep(intervalNanos / 1_000_000, (int) (intervalNanos % 1_000_000));
            Map<String, Map<String, Times>> samples = new LinkedHashMap<>();
            for (Group group : groups) {
                samples.put(group.name(), sample(group));
            }
            long now = System.nanoTime();
            CpuTicks cpuNow = CpuTicks.now();
            // The load ended somewhere in this interval: what follows is not the load's.
            if (!load.isAlive()) {
                break;
            }
            samples.forEach((name, sample) -> tallies.get(name).add(sample));
            sampled = now;
            cpuSampled = cpuNow;
        }

        if (sampled == started) {
            throw new IllegalStateException("the load ended within the first interval: nothing was sampled");
        }
        Figures figures = new Figures(args.string("prefix", "cores"));
        figures.put("processes", String.join(" ", tallies.keySet()));
        figures.put("sampled_seconds", String.format(Locale.ROOT, "%.3f", (sampled - started) / 1e9));
        figures.put("idle_percent", String.format(Locale.ROOT, "%.1f", cpuSampled.idlePercentSince(cpuBefore)));
        tallies.forEach((name, tally) -> {
            Times total = tally.total();
            figures.put(name + ".run_ms", String.format(Locale.ROOT, "%.1f", total.runNanos() / 1e6));
            figures.put(name + ".wait_ms", String.format(Locale.ROOT, "%.1f", total.waitNanos() / 1e6));
        });
        figures.print();
    }

    /** Every thread of the group's processes now, keyed by process and thread id. */
    static Map<String, Times> sample(Group group) {
        Map<String, Times> threads = new HashMap<>();
        for (long pid : group.pids()) {
            addThreads(pid, threads);
            if (group.withChildren()) {
                for (long child : children(pid)) {
                    addThreads(child, threads);
                }
            }
        }
        return threads;
    }

    private static void addThreads(long pid, Map<String, Times> threads) {
        try {
            THREADS.read(pid, "schedstat")
                    .forEach((tid, schedstat) -> threads.put(pid + "/" + tid, Times.parse(schedstat)));
        } catch (IOException ended) {
            // The process ended: it has no threads to count.
        }
    }

    /** A process's children: each thread lists those it started. */
    private static List<Long> children(long pid) {
        List<Long> children = new ArrayList<>();
        try {
            for (String text : THREADS.read(pid, "children").values()) {
                for (String child : text.trim().split("\\s+")) {
                    if (!child.isEmpty()) {
                        children.add(Long.parseLong(child));
                    }
                }
            }
        } catch (IOException ended) {
            // The process ended: it has no children.
        }
        return children;
    }
}
