package org.aigateway.gateway.auth;

import java.time.Instant;
import java.util.UUID;

/** A stored API key: only its SHA-256 hash and a short display prefix are ever kept. */
public record ApiKey(UUID id, String userId, String name, String prefix, boolean admin, Instant createdAt,
                     Instant revokedAt) {
    public boolean active() {
        return revokedAt == null;
    }
}
