package org.aigateway.gateway.session;

import io.dropwizard.auth.Auth;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.aigateway.gateway.auth.Caller;
import org.aigateway.gateway.history.HistoryCursor;
import org.aigateway.gateway.history.HistoryQuery;
import org.aigateway.gateway.history.RequestHistoryDao;
import org.aigateway.support.errors.ApiException;
import org.aigateway.support.paging.PageLimit;

/**
 * Sessions: the requests a user made with one {@code X-Session-Id}. Owners see and end their own, admins anyone's
 * (naming the owner with {@code userId}); someone else's session answers 404, listing someone else's 403.
 */
@Path("/v1/sessions")
@Produces(MediaType.APPLICATION_JSON)
public class SessionsResource {
    private final SessionDao sessions;
    private final RequestHistoryDao history;

    public SessionsResource(SessionDao sessions, RequestHistoryDao history) {
        this.sessions = sessions;
        this.history = history;
    }

    /** The caller's sessions (an admin's: one user's or everyone's), newest first, a page at a time. */
    @GET
    public SessionPage list(@Auth Caller caller, @QueryParam("userId") String userId,
                            @QueryParam("status") String status, @QueryParam("limit") String limit,
                            @QueryParam("cursor") String cursor) {
        return sessions.page(SessionQuery.of(userId, status, cursor, limit, caller.userId(), caller.admin()));
    }

    /** The session with a page of its requests, newest first. Session ids may contain '/', so the id is greedy. */
    @GET
    @Path("/{id: .+}")
    public SessionDetail get(@Auth Caller caller, @PathParam("id") String id, @QueryParam("userId") String userId,
                             @QueryParam("limit") String limit, @QueryParam("cursor") String cursor) {
        String owner = owner(caller, userId, id);
        HistoryQuery requests = new HistoryQuery(owner, id, null, null, null, null, null, HistoryCursor.parse(cursor),
                PageLimit.parse(limit, HistoryQuery.DEFAULT_LIMIT, HistoryQuery.MAX_LIMIT));
        SessionRecord session = sessions.find(owner, id).orElseThrow(() -> notFound(id));
        return new SessionDetail(session, history.page(requests));
    }

    /** Ends the session now; ending an ended session changes nothing and answers it as it is. */
    @POST
    @Path("/{id: .+}/end")
    public SessionRecord end(@Auth Caller caller, @PathParam("id") String id, @QueryParam("userId") String userId) {
        return sessions.end(owner(caller, userId, id), id).orElseThrow(() -> notFound(id));
    }

    /** Whose session the caller means: their own unless an admin names a user; anyone else's does not exist. */
    private static String owner(Caller caller, String userId, String sessionId) {
        String owner = userId == null || userId.isEmpty() ? caller.userId() : userId;
        if (!caller.maySee(owner)) {
            throw notFound(sessionId);
        }
        return owner;
    }

    private static ApiException notFound(String id) {
        String safe = id.replaceAll("[^A-Za-z0-9._:@/-]", "?");
        String shown = safe.length() > 130 ? safe.substring(0, 130) + "…" : safe;
        return ApiException.notFound("No session with id '" + shown + "'.");
    }
}
