package org.aigateway.bench;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CoreWaitsTest {
    @Test
    void readsRunTimeAndWaitTimeOfASchedstatLine() {
        assertThat(CoreWaits.Times.parse("123456789 98765 42\n")).isEqualTo(new CoreWaits.Times(123456789, 98765));
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
        tally.add(Map.of("1/1", new CoreWaits.Times(1_000, 500), "1/2", new CoreWaits.Times(7_000, 70)));
        // Thread 2 ended; thread 3 started.
        tally.add(Map.of("1/1", new CoreWaits.Times(1_600, 900), "1/3", new CoreWaits.Times(200, 50)));
        tally.add(Map.of("1/1", new CoreWaits.Times(2_000, 1_000), "1/3", new CoreWaits.Times(300, 80)));

        assertThat(tally.total()).isEqualTo(new CoreWaits.Times(600 + 200 + 400 + 100, 400 + 50 + 100 + 30));
    }

    @Test
    void splitsTheMachinesCpuTimeIntoBusyAndIdle() {
        CoreWaits.CpuTicks before = CoreWaits.CpuTicks.parse("cpu  93799 1 38884 88349 2363 0 6045 7 0 0");
        assertThat(before).isEqualTo(new CoreWaits.CpuTicks(93799 + 1 + 38884 + 6045 + 7, 88349 + 2363));
        CoreWaits.CpuTicks after = new CoreWaits.CpuTicks(before.busy() + 300, before.idle() + 100);
        assertThat(after.idlePercentSince(before)).isEqualTo(25.0);
    }

    @Test
    void countsTheTimeThisThreadRunsUnderItsOwnId() throws Exception {
        String key = ProcessHandle.current().pid() + "/" + ThisThread.tid();
        CoreWaits.Group process = new CoreWaits.Group("self", List.of(ProcessHandle.current().pid()), false);
        CoreWaits.Tally tally = new CoreWaits.Tally();
        long wallStart = System.nanoTime();
        tally.add(Map.of(key, CoreWaits.sample(process).get(key)));
        long spin = ThisThread.spendCpu(200_000_000L);
        tally.add(Map.of(key, CoreWaits.sample(process).get(key)));
        long wall = System.nanoTime() - wallStart;

        assertThat(spin).isPositive();
        assertThat(tally.total().runNanos()).isBetween(190_000_000L, wall);
        assertThat(tally.total().runNanos() + tally.total().waitNanos()).isLessThanOrEqualTo(wall);
    }

    @Test
    void findsAParentsChildrenAtEachSample() throws Exception {
        CoreWaits.Group family = new CoreWaits.Group("family", List.of(ProcessHandle.current().pid()), true);
        Process child = new ProcessBuilder("sleep", "30").start();
        try {
            assertThat(CoreWaits.sample(family)).containsKey(child.pid() + "/" + child.pid());
            assertThat(CoreWaits.sample(new CoreWaits.Group("alone", family.pids(), false)))
                    .doesNotContainKey(child.pid() + "/" + child.pid());
        } finally {
            child.destroy();
            child.waitFor(5, TimeUnit.SECONDS);
        }
        assertThat(CoreWaits.sample(family)).doesNotContainKey(child.pid() + "/" + child.pid());
    }
}
