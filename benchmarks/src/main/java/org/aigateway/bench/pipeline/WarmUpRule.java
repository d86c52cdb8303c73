package org.aigateway.bench.pipeline;

/**
 * When a JVM service counts as warm, by the rule of the chat part's warm-up in {@code scripts/bench/run.sh}, which
 * passes its thresholds: a round's CPU time per item within a fraction of the round before's, with the JIT compiler
 * under a share of the round's CPU time.
 */
final class WarmUpRule {
    private final double maxChange;
    private final double maxJitShare;
    private double previousCpuPerItem = Double.NaN;

    /**
     * @param maxChange   how far a round's CPU time per item may be from the round before's, as a fraction of it
     * @param maxJitShare the JIT compiler's share of a round's CPU time below which the round may count as warm
     */
    WarmUpRule(double maxChange, double maxJitShare) {
        this.maxChange = maxChange;
        this.maxJitShare = maxJitShare;
    }

    /**
     * Takes one round's figures and says whether the service is warm after it; never after the first round, which
     * has no round before it to compare with.
     */
    boolean settledAfter(double cpuPerItem, double jitShare) {
        double previous = previousCpuPerItem;
        previousCpuPerItem = cpuPerItem;
        return !Double.isNaN(previous) && jitShare < maxJitShare
                && Math.abs(cpuPerItem - previous) <= maxChange * previous;
    }
}
