package org.aigateway.bench;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CoreWaitsTest {
    @Test
    void readsRunTimeWaitTimeAndSlicesOfASchedstatLine() {
        assertThat(CoreWaits.Times.parse("123456789 98765 42\n")).isEqualTo(new CoreWaits.Times(123456789, 98765, 42));
    }

    @Test
    void namesProcessesByPidsOrByAParentAndItsChildren() {
        assertThat(CoreWaits.Group.parse("gateway=12")).isEqualTo(new CoreWaits.Group("gateway", List.of(12L), false));
        assertThat(CoreWaits.Group.parse("rabbitmq=3,4")).isEqualTo(new CoreWaits.Group("rabbitmq", List.of(3L, 4L), false));
        assertThat(CoreWaits.Group.parse("postgres=+7")).isEqualTo(new CoreWaits.Group("postgres", List.of(7L), true));
        assertThatThrownBy(() -> CoreWaits.Group.parse("gateway")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CoreWaits.Group.parse("gateway=")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void countsEachThreadsGrowthAndAThreadThatStartedInBetweenFromItsStart() {
        CoreWaits.Tally tally = new CoreWaits.Tally();
        tally.add(Map.of("1/1", new CoreWaits.Times(1_000, 500, 10), "1/2", new CoreWaits.Times(7_000, 70, 7)));
        // Thread 2 ended; thread 3 started.
        tally.add(Map.of("1/1", new CoreWaits.Times(1_600, 900, 13), "1/3", new CoreWaits.Times(200, 50, 2)));
        tally.add(Map.of("1/1", new CoreWaits.Times(2_000, 1_000, 15), "1/3", new CoreWaits.Times(300, 80, 4)));

        assertThat(tally.total()).isEqualTo(new CoreWaits.Times(600 + 200 + 400 + 100, 400 + 50 + 100 + 30,
                3 + 2 + 2 + 2));
    }

    @Test
    void splitsTheMachinesCpuTimeIntoBusyAndIdle() {
        long[] cpu = CoreWaits.machineCpu("cpu  93799 1 38884 88349 2363 0 6045 7 0 0");
        assertThat(cpu[0]).isEqualTo(93799 + 1 + 38884 + 6045 + 7);
        assertThat(cpu[1]).isEqualTo(88349 + 2363);
    }

    @Test
    void countsTheTimeThisProcessesThreadsRun() throws Exception {
        CoreWaits.Group self = new CoreWaits.Group("self", List.of(ProcessHandle.current().pid()), false);
        CoreWaits.Tally tally = new CoreWaits.Tally();
        tally.add(CoreWaits.sample(self));
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long until = threads.getCurrentThreadCpuTime() + 200_000_000L;
        long spin = 0;
        while (threads.getCurrentThreadCpuTime() < until) {
            spin += Long.numberOfTrailingZeros(spin + System.nanoTime());
        }
        tally.add(CoreWaits.sample(self));

        assertThat(spin).isPositive();
        assertThat(tally.total().runNanos()).isGreaterThanOrEqualTo(200_000_000L);
        assertThat(tally.total().waitNanos()).isNotNegative();
        assertThat(tally.total().slices()).isPositive();
    }
}
