package org.aigateway.analytics.usage;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;

/** Usage of all users over a date range, grouped one way, with the totals over all groups. */
public record UsageReport(LocalDate from, LocalDate to, String groupBy, Totals totals, List<UsageRow> rows) {
    /** Sums over every row. */
    public record Totals(long requests, long tokens, BigDecimal cost) {
    }
}
