package org.aigateway.analytics.performance;

import java.time.LocalDate;
import java.util.List;

/** Latency percentiles over a date range, one row per group. */
public record PerformanceReport(LocalDate from, LocalDate to, String groupBy, List<PerformanceRow> rows) {
}
