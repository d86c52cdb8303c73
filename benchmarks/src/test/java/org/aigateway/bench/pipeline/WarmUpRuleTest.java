package org.aigateway.bench.pipeline;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class WarmUpRuleTest {
    private final WarmUpRule rule = new WarmUpRule(0.10, 0.05);

    @Test
    void theFirstRoundNeverSettles() {
        assertThat(rule.settledAfter(1.0, 0.0)).isFalse();
    }

    @Test
    void settlesOnceARoundCostsWithinTheChangeOfTheOneBefore() {
        rule.settledAfter(2.0, 0.50);
        assertThat(rule.settledAfter(1.0, 0.04)).as("half the round before").isFalse();
        assertThat(rule.settledAfter(1.09, 0.04)).as("9% more than the round before").isTrue();
    }

    @Test
    void comparesWithTheRoundJustBeforeNotTheFirst() {
        rule.settledAfter(1.0, 0.0);
        assertThat(rule.settledAfter(1.5, 0.0)).isFalse();
        assertThat(rule.settledAfter(1.45, 0.0)).as("within a tenth of 1.5, not of 1.0").isTrue();
    }

    @Test
    void aBusyCompilerKeepsItCold() {
        rule.settledAfter(1.0, 0.30);
        assertThat(rule.settledAfter(1.0, 0.05)).as("5% of the round's CPU in the JIT compiler").isFalse();
        assertThat(rule.settledAfter(1.0, 0.049)).isTrue();
    }
}
