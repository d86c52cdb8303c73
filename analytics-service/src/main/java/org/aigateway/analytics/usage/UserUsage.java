package org.aigateway.analytics.usage;

import java.time.LocalDate;
import java.util.List;

/** A user's daily usage over a date range; days without requests are left out. */
public record UserUsage(String userId, LocalDate from, LocalDate to, List<DailyUsage> days) {
}
