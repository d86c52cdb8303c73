package org.aigateway.bench;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
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
    void countsTheCpuTimeThisProcessSpends() throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        ProcessCpu self = new ProcessCpu(ProcessHandle.current().pid());
        ProcessCpu.Sample before = self.sample();
        long until = threads.getCurrentThreadCpuTime() + 300_000_000L;
        long spin = 0;
        while (threads.getCurrentThreadCpuTime() < until) {
            spin += Long.numberOfTrailingZeros(spin + System.nanoTime());
        }
        ProcessCpu.Spent spent = self.sample().since(before);
        assertThat(spin).isPositive();
        // 300 ms of this thread's CPU time is 30 ticks at Linux's usual 100 per second; ticks are counted coarsely.
        assertThat(spent.ticks()).isGreaterThanOrEqualTo(20);
        assertThat(spent.jitTicks()).isBetween(0L, spent.ticks());
    }
}
