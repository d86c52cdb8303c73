package org.aigateway.analytics.reconcile;

import java.math.BigDecimal;

/** What one side counted for one user, or one user on one day. */
public record Usage(long requests, long successful, long tokens, BigDecimal cost) {
    public static final Usage NONE = new Usage(0, 0, 0, BigDecimal.ZERO);

    /** Equal counts and equal amounts of money, whatever the scale each side stores it with. */
    public boolean sameAs(Usage other) {
        return requests == other.requests && successful == other.successful && tokens == other.tokens
                && cost.compareTo(other.cost) == 0;
    }

    /** The fields that differ, as {@code name gateway≠analytics} pairs, this being the gateway's side. */
    public String describeDifference(Usage analytics) {
        StringBuilder text = new StringBuilder();
        append(text, "requests", requests, analytics.requests, requests != analytics.requests);
        append(text, "successful", successful, analytics.successful, successful != analytics.successful);
        append(text, "tokens", tokens, analytics.tokens, tokens != analytics.tokens);
        append(text, "cost", cost.stripTrailingZeros().toPlainString(),
                analytics.cost.stripTrailingZeros().toPlainString(), cost.compareTo(analytics.cost) != 0);
        return text.toString();
    }

    private static void append(StringBuilder text, String name, Object gateway, Object analytics, boolean differs) {
        if (differs) {
            text.append(text.isEmpty() ? "" : ", ").append(name).append(" gateway=").append(gateway)
                    .append(" analytics=").append(analytics);
        }
    }
}
