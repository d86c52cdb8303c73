package org.aigateway.analytics.performance;

import io.dropwizard.auth.Auth;
import io.dropwizard.auth.PrincipalImpl;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.aigateway.support.paging.DateRange;
import org.aigateway.support.errors.ApiException;

import java.util.Map;

/** Request latency percentiles per model, provider or hour, from the performance events. */
@Path("/v1/analytics/performance")
@Produces(MediaType.APPLICATION_JSON)
public class PerformanceResource {
    /** The only SQL a client can choose, by name. */
    private static final Map<String, String> GROUP_KEYS = Map.of(
            "model", "coalesce(nullif(model, ''), 'unknown')",
            "provider", "coalesce(nullif(provider, ''), 'unknown')",
            "hour", "to_char(date_trunc('hour', occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD\"T\"HH24:00:00\"Z\"')");

    private final PerformanceDao performance;

    public PerformanceResource(PerformanceDao performance) {
        this.performance = performance;
    }

    @GET
    public PerformanceReport percentiles(@Auth PrincipalImpl caller, @QueryParam("from") String from,
                                         @QueryParam("to") String to, @QueryParam("groupBy") String groupBy) {
        DateRange range = DateRange.parse(from, to);
        String grouping = groupBy == null || groupBy.isBlank() ? "model" : groupBy.strip();
        String key = GROUP_KEYS.get(grouping);
        if (key == null) {
            throw ApiException.invalidRequest("Invalid 'groupBy': use one of model, provider, hour.", "groupBy");
        }
        return new PerformanceReport(range.from(), range.to(), grouping,
                performance.percentiles(key, range.startInstant(), range.endInstantExclusive()));
    }
}
