package org.aigateway.analytics.usage;

import java.math.BigDecimal;

/** Usage of one model or one provider within a day. */
public record Breakdown(long requests, long tokens, BigDecimal cost) {
}
