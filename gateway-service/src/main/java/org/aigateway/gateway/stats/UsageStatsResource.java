package org.aigateway.gateway.stats;

import io.dropwizard.auth.Auth;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.aigateway.gateway.auth.Caller;
import org.aigateway.support.paging.DateRange;

import java.time.Clock;

/** Usage statistics from the request history: any key reads its own user's, admin keys anyone's. */
@Path("/v1/users")
@Produces(MediaType.APPLICATION_JSON)
public class UsageStatsResource {
    private final UsageStatsDao stats;
    private final Clock clock;

    public UsageStatsResource(UsageStatsDao stats, Clock clock) {
        this.stats = stats;
        this.clock = clock;
    }

    @GET
    @Path("/me/stats")
    public UsageStats mine(@Auth Caller caller, @QueryParam("from") String from, @QueryParam("to") String to) {
        return stats.stats(caller.userId(), DateRange.parse(from, to, clock));
    }

    @GET
    @Path("/{userId}/stats")
    @RolesAllowed(Caller.ADMIN_ROLE)
    public UsageStats ofUser(@PathParam("userId") String userId, @QueryParam("from") String from,
                             @QueryParam("to") String to) {
        return stats.stats(userId, DateRange.parse(from, to, clock));
    }
}
