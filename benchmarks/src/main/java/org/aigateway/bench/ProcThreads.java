package org.aigateway.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One per-thread file of a running process, for each of its threads, from Linux's {@code /proc/<pid>/task}. Threads
 * come and go while they are read: one that ended after the listing is left out, whether its file is gone or reading
 * it fails (ESRCH).
 */
final class ProcThreads {
    private final Path proc;

    ProcThreads() {
        this(Path.of("/proc"));
    }

    /** Reads under {@code proc} instead of {@code /proc}. */
    ProcThreads(Path proc) {
        this.proc = proc;
    }

    /**
     * The file {@code name} of each of the process's threads, by thread id.
     *
     * @throws IOException when the process's threads cannot be listed (it ended, say)
     */
    Map<Long, String> read(long pid, String name) throws IOException {
        List<Path> tasks;
        try (Stream<Path> stream = Files.list(proc.resolve(Long.toString(pid)).resolve("task"))) {
            tasks = stream.toList();
        } catch (UncheckedIOException reaped) {
            // The directory is read while the stream is consumed: a process reaped by then fails there.
            throw reaped.getCause();
        }
        Map<Long, String> files = new LinkedHashMap<>();
        for (Path task : tasks) {
            try {
                files.put(Long.parseLong(task.getFileName().toString()), Files.readString(task.resolve(name)));
            } catch (IOException ended) {
                // The thread ended since the listing.
            }
        }
        return files;
    }
}
