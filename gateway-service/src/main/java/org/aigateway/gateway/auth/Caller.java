package org.aigateway.gateway.auth;

import java.security.Principal;
import java.util.UUID;

/** The authenticated owner of an API key: the user every request and history row is attributed to. */
public record Caller(String userId, UUID keyId, boolean admin) implements Principal {
    public static final String ADMIN_ROLE = "admin";

    @Override
    public String getName() {
        return userId;
    }

    /** Admins may read every user's records; everybody else only their own. */
    public boolean maySee(String ownerUserId) {
        return admin || userId.equals(ownerUserId);
    }
}
