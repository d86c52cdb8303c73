package org.aigateway.analytics.usage;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.math.BigDecimal;

/** Usage summed over one group: a day, a user, a model or a provider. Success counts exist for days and users only. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UsageRow(String key, long requests, Long successfulRequests, Long failedRequests, long tokens,
                       BigDecimal cost) {
}
