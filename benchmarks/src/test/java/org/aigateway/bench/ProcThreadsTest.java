package org.aigateway.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProcThreadsTest {
    @Test
    void leavesOutThreadsThatEndedWhileTheyWereRead(@TempDir Path proc) throws IOException {
        Path tasks = Files.createDirectories(proc.resolve("42/task"));
        Files.writeString(Files.createDirectories(tasks.resolve("42")).resolve("stat"), "main");
        Files.writeString(Files.createDirectories(tasks.resolve("44")).resolve("stat"), "worker");
        // Ended after the listing: its files are gone.
        Files.createDirectories(tasks.resolve("43"));
        // Ended while its file was read: reading fails, though not because the file is missing (as with ESRCH).
        Files.createDirectories(tasks.resolve("45/stat"));

        assertThat(new ProcThreads(proc).read(42, "stat"))
                .containsExactlyInAnyOrderEntriesOf(Map.of(42L, "main", 44L, "worker"));
    }

    @Test
    void failsForAProcessThatIsGone(@TempDir Path proc) {
        assertThatThrownBy(() -> new ProcThreads(proc).read(42, "stat")).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void readsThisThreadAmongItsProcessThreads() throws IOException {
        long tid = ThisThread.tid();

        Map<Long, String> stats = new ProcThreads().read(ProcessHandle.current().pid(), "stat");

        assertThat(stats).containsKey(tid);
        assertThat(stats.get(tid)).startsWith(tid + " (");
    }
}
