package org.aigateway.bench.pipeline;

/**
 * When a JVM service counts as warm: the rule of the chat part's warm-up in {@code scripts/bench/run.sh}. A round's
 * CPU time per item within a tenth of the round before, with the JIT compiler under 5% of the round's CPU time.
 */
final class WarmUp {
    static final double SETTLED_CHANGE = 0.10;
    static final double SETTLED_JIT_SHARE = 0.05;

    private double previousCpuPerItem = Double.NaN;

    /**
     * Takes one round's figures and says whether the service is warm after it; never after the first round, which
     * has no round before it to compare with.
     */
    boolean settledAfter(double cpuPerItem, double jitShare) {
        double previous = previousCpuPerItem;
        previousCpuPerItem = cpuPerItem;
        return !Double.isNaN(previous) && jitShare < SETTLED_JIT_SHARE
                && Math.abs(cpuPerItem - previous) <= SETTLED_CHANGE * previous;
    }
}
