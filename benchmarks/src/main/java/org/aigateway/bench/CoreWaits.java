package org.aigateway.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * How long the threads of some processes ran and how long they waited for a core while a load ran, from Linux's
 * per-thread {@code schedstat}: on a machine whose cores are all busy, a request's latency is mostly the second.
 * Threads are sampled every interval and each thread's growth between two samples is counted, so threads that start
 * during the load count from their start; a thread that ends takes what it did since the last sample with it.
 * <p>
 * {@code --processes "gateway=123 postgres=+456"} names the processes: a list of pids, or {@code +pid} for a process
 * and its children as of each sample (a database server's backends). It prints, under {@code --prefix}, each name's
 * {@code run_ms}, {@code wait_ms} and {@code slices} over the sampled {@code seconds}, and how idle the machine's cores
 * were ({@code idle_percent}).
 */
public final class CoreWaits {
    /** What one thread's schedstat says: nanoseconds on a core, nanoseconds waiting for one, times it was given one. */
    record Times(long runNanos, long waitNanos, long slices) {
        static Times parse(String schedstat) {
            String[] fields = schedstat.trim().split("\\s+");
            return new Times(Long.parseLong(fields[0]), Long.parseLong(fields[1]), Long.parseLong(fields[2]));
        }

        Times plus(Times other) {
            return new Times(runNanos + other.runNanos, waitNanos + other.waitNanos, slices + other.slices);
        }

        Times minus(Times other) {
            return new Times(runNanos - other.runNanos, waitNanos - other.waitNanos, slices - other.slices);
        }
    }

    static final Times NONE = new Times(0, 0, 0);

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
        private Times total = NONE;

        void add(Map<String, Times> sample) {
            if (last != null) {
                for (Map.Entry<String, Times> thread : sample.entrySet()) {
                    total = total.plus(thread.getValue().minus(last.getOrDefault(thread.getKey(), NONE)));
                }
            }
            last = sample;
        }

        Times total() {
            return total;
        }
    }

    private CoreWaits() {
    }

    public static void run(Args args) throws Exception {
        List<Group> groups = new ArrayList<>();
        for (String spec : args.string("processes").trim().split("\\s+")) {
            groups.add(Group.parse(spec));
        }
        Duration duration = args.duration("duration");
        long intervalNanos = args.duration("interval", Duration.ofMillis(200)).toNanos();
        Figures figures = new Figures(args.string("prefix", "cores"));

        Map<String, Tally> tallies = new LinkedHashMap<>();
        groups.forEach(group -> tallies.put(group.name(), new Tally()));
        long[] cpuBefore = machineCpu();
        long started = System.nanoTime();
        long next = started;
        do {
            for (Group group : groups) {
                tallies.get(group.name()).add(sample(group));
            }
            next += intervalNanos;
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
                Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
            }
        } while (next - started < duration.toNanos());
        for (Group group : groups) {
            tallies.get(group.name()).add(sample(group));
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        long[] cpuAfter = machineCpu();

        figures.put("seconds", String.format(Locale.ROOT, "%.3f", seconds));
        long busy = cpuAfter[0] - cpuBefore[0];
        long idle = cpuAfter[1] - cpuBefore[1];
        figures.put("idle_percent", String.format(Locale.ROOT, "%.1f", 100.0 * idle / Math.max(1, busy + idle)));
        tallies.forEach((name, tally) -> {
            Times total = tally.total();
            figures.put(name + ".run_ms", String.format(Locale.ROOT, "%.1f", total.runNanos() / 1e6));
            figures.put(name + ".wait_ms", String.format(Locale.ROOT, "%.1f", total.waitNanos() / 1e6));
            figures.put(name + ".slices", total.slices());
        });
        figures.print();
    }

    /** Every thread of the group's processes now, keyed by process and thread id. */
    static Map<String, Times> sample(Group group) throws IOException {
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

    private static void addThreads(long pid, Map<String, Times> threads) throws IOException {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        List<Path> list;
        try (Stream<Path> stream = Files.list(tasks)) {
            list = stream.toList();
        } catch (NoSuchFileException ended) {
            return;
        }
        for (Path task : list) {
            try {
                threads.put(pid + "/" + task.getFileName(), Times.parse(Files.readString(task.resolve("schedstat"))));
            } catch (NoSuchFileException ended) {
                // The thread ended since the listing.
            }
        }
    }

    private static List<Long> children(long pid) throws IOException {
        List<Long> children = new ArrayList<>();
        try {
            String text = Files.readString(Path.of("/proc", Long.toString(pid), "task", Long.toString(pid), "children"));
            for (String child : text.trim().split("\\s+")) {
                if (!child.isEmpty()) {
                    children.add(Long.parseLong(child));
                }
            }
        } catch (NoSuchFileException ended) {
            // The process ended.
        }
        return children;
    }

    /** The machine's CPU time so far in clock ticks: busy (everything but idle and I/O wait), and idle. */
    private static long[] machineCpu() throws IOException {
        String line = Files.readAllLines(Path.of("/proc/stat")).get(0);
        return machineCpu(line);
    }

    static long[] machineCpu(String cpuLine) {
        String[] fields = cpuLine.trim().split("\\s+");
        long busy = 0;
        long idle = 0;
        // user nice system idle iowait irq softirq steal; guest time is already in user.
        for (int i = 1; i <= 8 && i < fields.length; i++) {
            long value = Long.parseLong(fields[i]);
            if (i == 4 || i == 5) {
                idle += value;
            } else {
                busy += value;
            }
        }
        return new long[] {busy, idle};
    }
}
