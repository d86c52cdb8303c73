package org.aigateway.bench.pipeline;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PipelineBenchmarkTest {
    @Test
    void theMedianOfAnOddCountIsTheMiddleOne() {
        assertThat(PipelineBenchmark.median(new double[] {1, 7, 100})).isEqualTo(7);
        assertThat(PipelineBenchmark.median(new double[] {5})).isEqualTo(5);
    }

    @Test
    void theMedianOfAnEvenCountIsBetweenTheMiddleTwo() {
        assertThat(PipelineBenchmark.median(new double[] {1, 2, 4, 100})).isEqualTo(3);
    }
}
