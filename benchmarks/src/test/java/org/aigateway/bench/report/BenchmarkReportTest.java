package org.aigateway.bench.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class BenchmarkReportTest {
    @TempDir
    Path dir;

    @Test
    void givesEachSampledProcesssTimeOnACoreAndWaitingForOnePerRequestOfTheSampledSeconds() throws Exception {
        // 2,000 req/s over 10 s sampled: 20,000 requests.
        String results = """
                config.concurrency=16
                config.core_waits_concurrency=16
                cores.gateway.c16.requests=41000
                cores.gateway.c16.rps=2000.0
                cores.gateway.c16.p50_ms=6.5
                cores.gateway.c16.p99_ms=31.25
                cores.gateway.c16.errors=0
                cores.gateway.c16.non2xx=0
                cores.gateway.c16.seconds=20.5
                cores.gateway.c16.sampled_seconds=10.0
                cores.gateway.c16.idle_percent=2.5
                cores.gateway.c16.processes=gateway postgres wrk
                cores.gateway.c16.gateway.run_ms=7200.0
                cores.gateway.c16.gateway.wait_ms=36000.0
                cores.gateway.c16.postgres.run_ms=3400.0
                cores.gateway.c16.postgres.wait_ms=4400.0
                cores.gateway.c16.wrk.run_ms=500.0
                cores.gateway.c16.wrk.wait_ms=3800.0
                """;
        Path file = dir.resolve("results.properties");
        Files.writeString(file, results);

        String table = new BenchmarkReport(Results.read(file)).render();

        assertThat(table).contains("| Chat c=16 | where a gateway request's time went")
                .contains("2,000 req/s · p50 6.50 ms · p99 31.25 ms; mean 8.00 ms (16 ÷ req/s); cores idle 2.5% · "
                        + "gateway 0.360 / 1.800 ms · postgres 0.170 / 0.220 ms · wrk 0.025 / 0.190 ms |")
                .doesNotContain("floor");
    }

    @Test
    void givesTheGatewaysFloorAtTheSampledConcurrency() throws Exception {
        assertThat(tableWithFloorRun(3, 0))
                .contains("| Chat c=16 | the gateway's floor: `GET /v1/models` with the chat runs' key")
                .contains("| 14,000 req/s · p50 1.06 ms · p99 4.36 ms · CPU 0.102 ms/req · **3 errors** |");
    }

    @Test
    void marksAFloorRunThatStartedBeforeTheRelayHadEmptiedTheOutbox() throws Exception {
        assertThat(tableWithFloorRun(0, 1250))
                .contains("CPU 0.102 ms/req · **1,250 events still in the outbox when it started** |");
    }

    /** The table of a run whose floor run had these non-2xx answers and started with this outbox backlog. */
    private String tableWithFloorRun(int non2xx, int backlog) throws Exception {
        Path file = dir.resolve("results.properties");
        Files.writeString(file, """
                config.concurrency=16
                config.core_waits_concurrency=16
                floor.gateway.c16.requests=420000
                floor.gateway.c16.rps=14000.0
                floor.gateway.c16.p50_ms=1.06
                floor.gateway.c16.p99_ms=4.36
                floor.gateway.c16.errors=0
                floor.gateway.c16.non2xx=%d
                floor.gateway.c16.cpu_ms=0.102
                floor.gateway.c16.outbox_backlog=%d
                """.formatted(non2xx, backlog));
        return new BenchmarkReport(Results.read(file)).render();
    }

    @Test
    void leavesTheRowOutWhenNothingWasSampled() throws Exception {
        Path file = dir.resolve("results.properties");
        Files.writeString(file, "config.concurrency=16\n");
        // A run without the chat part samples nothing and records no concurrency for it.

        assertThat(new BenchmarkReport(Results.read(file)).render()).doesNotContain("time went")
                .doesNotContain("floor");
    }
}
