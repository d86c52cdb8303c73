package org.aigateway.bench.profile;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;
import org.aigateway.bench.Args;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Where a JFR recording's CPU samples ({@code jdk.ExecutionSample}) went: by thread, by the method on top of the
 * stack (self time), and by every method on the stack (inclusive time), as shares of all samples. Then where threads
 * waited (socket reads, parking, monitors, above the recording's thresholds), by the library frame that waited and
 * the focus-package frame that called it, so waiting on the database can be told from waiting on the upstream.
 */
public final class JfrSummary {
    private static final Set<String> WAITS = Set.of("jdk.SocketRead", "jdk.SocketWrite", "jdk.ThreadPark",
            "jdk.JavaMonitorEnter", "jdk.JavaMonitorWait", "jdk.FileForce");

    private JfrSummary() {
    }

    public static void run(Args args) throws Exception {
        int top = args.integer("top", 25);
        String focus = args.string("focus", "org.aigateway.");
        Map<String, Integer> threads = new HashMap<>();
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> inclusive = new HashMap<>();
        Map<String, Integer> focusInclusive = new HashMap<>();
        Map<String, Double> waitedMs = new HashMap<>();
        Map<String, Integer> waits = new HashMap<>();
        int samples = 0;
        for (RecordedEvent event : RecordingFile.readAllEvents(Path.of(args.string("file")))) {
            String type = event.getEventType().getName();
            if (WAITS.contains(type)) {
                String site = waitSite(event.getStackTrace(), focus);
                if (site == null) {
                    continue;
                }
                String where = type + " at " + site;
                waitedMs.merge(where, event.getDuration().toNanos() / 1e6, Double::sum);
                waits.merge(where, 1, Integer::sum);
                continue;
            }
            if (!"jdk.ExecutionSample".equals(type)) {
                continue;
            }
            RecordedStackTrace stack = event.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            samples++;
            RecordedThread thread = event.getThread("sampledThread");
            threads.merge(threadGroup(thread == null ? "?" : thread.getJavaName()), 1, Integer::sum);
            List<RecordedFrame> frames = stack.getFrames();
            self.merge(name(frames.get(0)), 1, Integer::sum);
            Set<String> seen = new HashSet<>();
            for (RecordedFrame frame : frames) {
                String method = name(frame);
                if (seen.add(method)) {
                    inclusive.merge(method, 1, Integer::sum);
                    if (method.startsWith(focus)) {
                        focusInclusive.merge(method, 1, Integer::sum);
                    }
                }
            }
        }
        System.out.println("execution samples: " + samples);
        print("threads (names without digits)", threads, samples, top);
        print("self (method on top of the stack)", self, samples, top);
        print("inclusive (method anywhere on the stack)", inclusive, samples, top);
        print("inclusive, " + focus + "* only", focusInclusive, samples, top);

        System.out.println();
        System.out.println("waiting on behalf of " + focus + "* (events above the recording's thresholds; idle pool "
                + "threads left out), by the frame that waited ← the " + focus + "* frame that called it:");
        waitedMs.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .limit(top)
                .forEach(entry -> System.out.printf(Locale.ROOT, "  %10.0f ms  %6d×  %s%n", entry.getValue(),
                        waits.get(entry.getKey()), entry.getKey()));
    }

    /**
     * The library frame that waited (the first outside the JDK) and the first focus-package frame above it; null for
     * a stack without a focus-package frame, such as an idle pool thread.
     */
    private static String waitSite(RecordedStackTrace stack, String focus) {
        if (stack == null) {
            return null;
        }
        String blocker = null;
        for (RecordedFrame frame : stack.getFrames()) {
            String method = name(frame);
            if (method.startsWith(focus)) {
                return blocker == null ? method : blocker + " ← " + method;
            }
            if (blocker == null && !method.startsWith("java.") && !method.startsWith("jdk.")
                    && !method.startsWith("sun.")) {
                blocker = method;
            }
        }
        return null;
    }

    private static void print(String title, Map<String, Integer> counts, int total, int top) {
        System.out.println();
        System.out.println(title + ":");
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .limit(top)
                .forEach(entry -> System.out.printf(Locale.ROOT, "  %5.1f%%  %6d  %s%n",
                        100.0 * entry.getValue() / Math.max(1, total), entry.getValue(), entry.getKey()));
    }

    private static String name(RecordedFrame frame) {
        return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
    }

    private static String threadGroup(String threadName) {
        return threadName.replaceAll("\\d+", "#");
    }
}
