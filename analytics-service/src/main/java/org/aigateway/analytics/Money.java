package org.aigateway.analytics;

import java.math.BigDecimal;

/** How amounts of money leave the service: exact, without the padding zeros of the numeric(24,12) columns. */
public final class Money {
    private Money() {
    }

    public static BigDecimal of(BigDecimal amount) {
        if (amount == null) {
            return null;
        }
        BigDecimal stripped = amount.stripTrailingZeros();
        // stripTrailingZeros turns 100 into 1E+2; a scale of at least 0 keeps it a plain integer.
        return stripped.scale() < 0 ? stripped.setScale(0) : stripped;
    }
}
