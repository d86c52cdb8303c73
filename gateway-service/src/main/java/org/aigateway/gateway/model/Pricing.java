package org.aigateway.gateway.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.NotNull;
import org.aigateway.gateway.provider.TokenUsage;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** A model's prices in currency units per one million tokens, as configured. */
public class Pricing {
    /** Stored cost scale: exact for prices with up to six decimals per million tokens. */
    public static final int COST_SCALE = 12;

    @NotNull
    @DecimalMin("0")
    private BigDecimal input = BigDecimal.ZERO;

    @DecimalMin("0")
    private BigDecimal cachedInput;

    @DecimalMin("0")
    private BigDecimal cacheWriteInput;

    @NotNull
    @DecimalMin("0")
    private BigDecimal output = BigDecimal.ZERO;

    public Pricing() {
    }

    public Pricing(BigDecimal input, BigDecimal cachedInput, BigDecimal output) {
        this.input = input;
        this.cachedInput = cachedInput;
        this.output = output;
    }

    @JsonProperty
    public BigDecimal getInput() {
        return input;
    }

    @JsonProperty
    public void setInput(BigDecimal input) {
        this.input = input;
    }

    /** Cached prompt tokens cost this much; unset means the same as uncached input. */
    @JsonProperty
    public BigDecimal getCachedInput() {
        return cachedInput == null ? input : cachedInput;
    }

    @JsonProperty
    public void setCachedInput(BigDecimal cachedInput) {
        this.cachedInput = cachedInput;
    }

    /** Prompt tokens written to the provider's cache cost this much; unset means the same as uncached input. */
    @JsonProperty
    public BigDecimal getCacheWriteInput() {
        return cacheWriteInput == null ? input : cacheWriteInput;
    }

    @JsonProperty
    public void setCacheWriteInput(BigDecimal cacheWriteInput) {
        this.cacheWriteInput = cacheWriteInput;
    }

    @JsonProperty
    public BigDecimal getOutput() {
        return output;
    }

    @JsonProperty
    public void setOutput(BigDecimal output) {
        this.output = output;
    }

    /**
     * (prompt − cached − cache writes) × input + cached × cached input + cache writes × cache-write input
     * + completion × output, per million tokens, exactly.
     */
    public BigDecimal cost(TokenUsage usage) {
        long cached = Math.min(usage.cachedTokens(), usage.promptTokens());
        long cacheWrites = Math.min(usage.cacheCreationTokens(), usage.promptTokens() - cached);
        BigDecimal perMillion = BigDecimal.valueOf(usage.promptTokens() - cached - cacheWrites).multiply(input)
                .add(BigDecimal.valueOf(cached).multiply(getCachedInput()))
                .add(BigDecimal.valueOf(cacheWrites).multiply(getCacheWriteInput()))
                .add(BigDecimal.valueOf(usage.completionTokens()).multiply(output));
        return perMillion.movePointLeft(6).setScale(COST_SCALE, RoundingMode.HALF_EVEN);
    }
}
