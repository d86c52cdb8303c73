package org.aigateway.bench;

import org.junit.jupiter.api.Test;

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
    void countsTheCpuTimeThisProcessSpends() throws Exception {
        ProcessCpu self = new ProcessCpu(ProcessHandle.current().pid());
        ProcessCpu.Sample before = self.sample();
        long until = System.nanoTime() + 300_000_000L;
        long spin = 0;
        while (System.nanoTime() < until) {
            spin += Long.numberOfTrailingZeros(spin + System.nanoTime());
        }
        ProcessCpu.Sample spent = self.sample().since(before);
        assertThat(spin).isPositive();
        // 300 ms of one busy thread is about 30 ticks at Linux's usual 100 per second.
        assertThat(spent.ticks()).isGreaterThanOrEqualTo(15);
        assertThat(spent.jitTicks()).isBetween(0L, spent.ticks());
    }
}
