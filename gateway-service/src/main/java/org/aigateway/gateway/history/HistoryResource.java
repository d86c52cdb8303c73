package org.aigateway.gateway.history;

import io.dropwizard.auth.Auth;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.aigateway.gateway.auth.Caller;
import org.aigateway.support.errors.ApiException;

import java.util.UUID;

/**
 * Read access to request history: owners see their own records, admins see all; a single record of someone else
 * answers 404, listing someone else's records 403.
 */
@Path("/v1/history")
@Produces(MediaType.APPLICATION_JSON)
public class HistoryResource {
    private final RequestHistoryDao history;

    public HistoryResource(RequestHistoryDao history) {
        this.history = history;
    }

    /** The caller's records (an admin's: one user's or everyone's), newest first, a page at a time. */
    @GET
    public HistoryPage list(@Auth Caller caller, @QueryParam("userId") String userId,
                            @QueryParam("sessionId") String sessionId, @QueryParam("model") String model,
                            @QueryParam("provider") String provider, @QueryParam("status") String status,
                            @QueryParam("from") String from, @QueryParam("to") String to,
                            @QueryParam("limit") String limit, @QueryParam("cursor") String cursor) {
        HistoryQuery query = HistoryQuery.of(
                new HistoryQuery.Params(userId, sessionId, model, provider, status, from, to, cursor, limit),
                caller.userId(), caller.admin());
        return history.page(query);
    }

    @GET
    @Path("/{id}")
    public HistoryRecord get(@Auth Caller caller, @PathParam("id") String id) {
        return parse(id).flatMap(history::find)
                .filter(record -> caller.maySee(record.userId()))
                .orElseThrow(() -> ApiException.notFound("No request history record with id '" + abbreviate(id) + "'."));
    }

    private static java.util.Optional<UUID> parse(String id) {
        try {
            return id.length() == 36 ? java.util.Optional.of(UUID.fromString(id)) : java.util.Optional.empty();
        } catch (IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
    }

    private static String abbreviate(String id) {
        String safe = id.replaceAll("[^A-Za-z0-9-]", "?");
        return safe.length() > 40 ? safe.substring(0, 40) + "…" : safe;
    }
}
