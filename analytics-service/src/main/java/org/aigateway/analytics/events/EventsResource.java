package org.aigateway.analytics.events;

import org.aigateway.support.paging.PageLimit;
import io.dropwizard.auth.Auth;
import io.dropwizard.auth.PrincipalImpl;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.util.List;

/** The stored events, newest first, paged by an opaque cursor (keyset on the row id, so pages never shift). */
@Path("/v1/analytics/events")
@Produces(MediaType.APPLICATION_JSON)
public class EventsResource {
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 500;

    private final EventDao events;

    public EventsResource(EventDao events) {
        this.events = events;
    }

    @GET
    public EventPage list(@Auth PrincipalImpl caller, @QueryParam("userId") String userId,
                          @QueryParam("eventType") String eventType, @QueryParam("limit") String limit,
                          @QueryParam("cursor") String cursor) {
        int pageSize = PageLimit.parse(limit, DEFAULT_LIMIT, MAX_LIMIT);
        Long beforeId = EventCursor.parse(cursor);
        List<StoredEvent> rows = events.page(blankToNull(userId), blankToNull(eventType), beforeId, pageSize + 1);
        boolean hasMore = rows.size() > pageSize;
        List<StoredEvent> page = hasMore ? rows.subList(0, pageSize) : rows;
        String next = hasMore ? EventCursor.of(page.get(page.size() - 1).id()) : null;
        return new EventPage(page, hasMore, next);
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
