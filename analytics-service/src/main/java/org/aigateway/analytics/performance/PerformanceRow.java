package org.aigateway.analytics.performance;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Latency percentiles of one group (model, provider or hour), in milliseconds. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PerformanceRow(String key, long count, Double p50Ms, Double p95Ms, Double p99Ms,
                             Double meanTimeToFirstTokenMs, Double meanUpstreamMs, Double meanOverheadMs) {
}
