package org.aigateway.analytics.usage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.auth.Auth;
import io.dropwizard.auth.PrincipalImpl;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.aigateway.support.paging.DateRange;
import org.aigateway.analytics.Money;
import org.aigateway.support.errors.ApiException;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Usage per user, per day, per model and per provider, read from the aggregates. */
@Path("/v1/analytics")
@Produces(MediaType.APPLICATION_JSON)
public class UsageResource {
    private static final TypeReference<Map<String, Breakdown>> BREAKDOWNS = new TypeReference<>() { };
    private static final List<String> GROUPINGS = List.of("day", "model", "provider", "user");

    private final UsageDao usage;
    private final ObjectMapper mapper;

    public UsageResource(UsageDao usage, ObjectMapper mapper) {
        this.usage = usage;
        this.mapper = mapper;
    }

    @GET
    @Path("/users/{userId}")
    public UserSummary user(@Auth PrincipalImpl caller, @PathParam("userId") String userId) {
        return usage.findUser(userId)
                .map(UserSummary::of)
                .orElseThrow(() -> ApiException.notFound("No usage recorded for user '" + userId + "'."));
    }

    @GET
    @Path("/users/{userId}/usage")
    public UserUsage userUsage(@Auth PrincipalImpl caller, @PathParam("userId") String userId,
                               @QueryParam("from") String from, @QueryParam("to") String to) {
        DateRange range = DateRange.parse(from, to);
        List<DailyUsage> days = usage.dailyUsage(userId, range.from(), range.to()).stream()
                .map(this::toDailyUsage)
                .toList();
        return new UserUsage(userId, range.from(), range.to(), days);
    }

    @GET
    @Path("/usage")
    public UsageReport usage(@Auth PrincipalImpl caller, @QueryParam("from") String from,
                             @QueryParam("to") String to, @QueryParam("groupBy") String groupBy) {
        DateRange range = DateRange.parse(from, to);
        String grouping = groupBy == null || groupBy.isBlank() ? "day" : groupBy.strip();
        List<UsageRow> rows = switch (grouping) {
            case "day" -> usage.usageGroupedBy("usage_date::text", range.from(), range.to());
            case "user" -> usage.usageGroupedBy("user_id", range.from(), range.to());
            case "model" -> usage.usageByBreakdown("models", range.from(), range.to());
            case "provider" -> usage.usageByBreakdown("providers", range.from(), range.to());
            default -> throw ApiException.invalidRequest(
                    "Invalid 'groupBy': use one of " + String.join(", ", GROUPINGS) + ".", "groupBy");
        };
        rows = rows.stream()
                .map(r -> new UsageRow(r.key(), r.requests(), r.successfulRequests(), r.failedRequests(),
                        r.tokens(), Money.of(r.cost())))
                .toList();
        long requests = rows.stream().mapToLong(UsageRow::requests).sum();
        long tokens = rows.stream().mapToLong(UsageRow::tokens).sum();
        BigDecimal cost = rows.stream().map(UsageRow::cost).reduce(BigDecimal.ZERO, BigDecimal::add);
        return new UsageReport(range.from(), range.to(), grouping,
                new UsageReport.Totals(requests, tokens, Money.of(cost)), rows);
    }

    private DailyUsage toDailyUsage(DailyUsageRow row) {
        return new DailyUsage(row.usageDate(), row.totalRequests(), row.successfulRequests(), row.failedRequests(),
                row.totalTokens(), row.promptTokens(), row.completionTokens(), Money.of(row.totalCost()),
                breakdowns(row.models()), breakdowns(row.providers()));
    }

    private Map<String, Breakdown> breakdowns(String json) {
        try {
            Map<String, Breakdown> parsed = mapper.readValue(json, BREAKDOWNS);
            Map<String, Breakdown> result = new LinkedHashMap<>();
            parsed.entrySet().stream()
                    .sorted(Map.Entry.comparingByKey())
                    .forEach(e -> result.put(e.getKey(), new Breakdown(e.getValue().requests(),
                            e.getValue().tokens(), Money.of(e.getValue().cost()))));
            return result;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored usage breakdown is not JSON", e);
        }
    }
}
