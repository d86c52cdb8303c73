package org.aigateway.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ProcessCpuTest {
    @Test
    void readsUserAndSystemTimeAfterANameWithSpacesAndParentheses() {
        String stat = "4242 (C2 CompilerThre) S 1 4242 4242 0 -1 4194368 120 0 3 0 1234 56 0 0 20 0 30 0 99 0";
        assertThat(ProcessCpu.ticks(stat)).isEqualTo(1234 + 56);
        String odd = "17 (a) b (c)) R 1 17 17 0 -1 0 0 0 0 0 7 8 0 0 20 0 1 0 5 0";
        assertThat(ProcessCpu.ticks(odd)).isEqualTo(15);
    }

    @Test
    void countsEachCompilerThreadFromItsOwnStart() {
        ProcessCpu.Sample before = new ProcessCpu.Sample(100, Map.of(1L, 40L, 2L, 10L));
        // Thread 2 was stopped and thread 3 started in between.
        ProcessCpu.Sample after = new ProcessCpu.Sample(180, Map.of(1L, 50L, 3L, 5L));

        ProcessCpu.Spent spent = after.since(before);

        assertThat(spent.ticks()).isEqualTo(80);
        assertThat(spent.jitTicks()).isEqualTo(10 + 5);
        assertThat(spent.jitShare()).isEqualTo(15.0 / 80);
    }

    @Test
    void countsOnlyTheCompilerThreadsAsJitAndSkipsAThreadThatEndedWhileItWasRead(@TempDir Path proc) throws Exception {
        Path process = Files.createDirectories(proc.resolve("42"));
        Files.writeString(process.resolve("stat"), stat(42, "java", 500, 100));
        Path tasks = Files.createDirectories(process.resolve("task"));
        thread(tasks, stat(42, "java", 300, 50));
        thread(tasks, stat(43, "C2 CompilerThre", 70, 5));
        thread(tasks, stat(44, "C1 CompilerThre", 20, 1));
        // Ended while its stat was read: reading fails, though not because the file is missing (as with ESRCH).
        Files.createDirectories(tasks.resolve("45/stat"));

        ProcessCpu.Sample sample = new ProcessCpu(42, proc).sample();

        assertThat(sample.ticks()).isEqualTo(600);
        assertThat(sample.jitTicksByThread()).containsExactlyInAnyOrderEntriesOf(Map.of(43L, 75L, 44L, 21L));
    }

    @Test
    void countsTheCpuTimeThisProcessSpends() throws Exception {
        ProcessCpu self = new ProcessCpu(ProcessHandle.current().pid());
        ProcessCpu.Sample before = self.sample();
        long spin = ThisThread.spendCpu(300_000_000L);
        ProcessCpu.Spent spent = self.sample().since(before);
        assertThat(spin).isPositive();
        // 300 ms of this thread's CPU time is 30 ticks at Linux's usual 100 per second; ticks are counted coarsely.
        assertThat(spent.ticks()).isGreaterThanOrEqualTo(20);
        assertThat(spent.jitTicks()).isBetween(0L, spent.ticks());
    }

    private static void thread(Path tasks, String stat) throws IOException {
        Path task = Files.createDirectories(tasks.resolve(stat.substring(0, stat.indexOf(' '))));
        Files.writeString(task.resolve("stat"), stat);
    }

    private static String stat(long tid, String name, long utime, long stime) {
        return tid + " (" + name + ") S 1 42 42 0 -1 4194368 120 0 3 0 " + utime + " " + stime + " 0 0 20 0 30 0 99 0";
    }
}
