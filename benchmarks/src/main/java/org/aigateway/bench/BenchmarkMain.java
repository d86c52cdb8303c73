package org.aigateway.bench;

import org.aigateway.bench.drain.EventDrain;
import org.aigateway.bench.pipeline.PipelineBenchmark;
import org.aigateway.bench.profile.JfrSummary;
import org.aigateway.bench.report.BenchmarkReport;
import org.aigateway.bench.streams.StreamBenchmark;
import org.aigateway.bench.upstream.MockUpstream;

import java.util.Arrays;

/**
 * The commands {@code scripts/bench/run.sh} runs. Measuring commands print their figures as {@code key=value} lines
 * on stdout, which the script collects into one results file for {@code report}.
 */
public final class BenchmarkMain {
    private BenchmarkMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
            System.exit(2);
        }
        Args options = Args.parse(Arrays.copyOfRange(args, 1, args.length));
        switch (args[0]) {
            case "upstream" -> MockUpstream.run(options);
            case "drain" -> EventDrain.run(options);
            case "pipeline" -> PipelineBenchmark.run(options);
            case "streams" -> StreamBenchmark.run(options);
            case "jfr-summary" -> JfrSummary.run(options);
            case "report" -> BenchmarkReport.run(options);
            case "core-waits" -> CoreWaits.run(options);
            default -> {
                usage();
                System.exit(2);
            }
        }
    }

    private static void usage() {
        System.err.println("usage: java -jar benchmarks.jar upstream|drain|pipeline|streams|jfr-summary|report|core-waits --option value ...");
    }
}
