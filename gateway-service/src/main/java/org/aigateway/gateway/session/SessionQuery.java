package org.aigateway.gateway.session;

import org.aigateway.support.errors.ApiException;
import org.aigateway.support.paging.PageLimit;

import java.util.Set;

/**
 * Which sessions a list request asks for, validated. A null {@code status} means any; a null {@code userId} means
 * every user and is only ever produced for admins.
 */
public record SessionQuery(String userId, String status, SessionCursor after, int limit) {
    public static final int DEFAULT_LIMIT = 20;
    public static final int MAX_LIMIT = 100;
    private static final Set<String> STATUSES = Set.of("active", "ended");

    /** Validates the parameters and decides whose sessions the caller may list. */
    public static SessionQuery of(String userId, String status, String cursor, String limit, String callerUserId,
                                  boolean callerIsAdmin) {
        String requestedUser = userId == null || userId.isEmpty() ? null : userId;
        if (!callerIsAdmin && requestedUser != null && !requestedUser.equals(callerUserId)) {
            throw new ApiException(403, "Only admin keys may list another user's sessions.", "permission_error",
                    "userId", null);
        }
        String wantedStatus = status == null || status.isEmpty() ? null : status;
        if (wantedStatus != null && !STATUSES.contains(wantedStatus)) {
            throw ApiException.invalidRequest("Invalid 'status': use active or ended.", "status");
        }
        return new SessionQuery(callerIsAdmin ? requestedUser : callerUserId, wantedStatus,
                SessionCursor.parse(cursor), PageLimit.parse(limit, DEFAULT_LIMIT, MAX_LIMIT));
    }
}
