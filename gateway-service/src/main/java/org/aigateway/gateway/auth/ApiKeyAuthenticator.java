package org.aigateway.gateway.auth;

import io.dropwizard.auth.Authenticator;

import java.util.Optional;

/** Resolves a bearer key to its caller by the key's hash. */
public class ApiKeyAuthenticator implements Authenticator<String, Caller> {
    private final ApiKeys keys;

    public ApiKeyAuthenticator(ApiKeys keys) {
        this.keys = keys;
    }

    @Override
    public Optional<Caller> authenticate(String key) {
        if (!key.startsWith(ApiKeys.KEY_PREFIX)) {
            return Optional.empty();
        }
        return keys.findActive(key).map(found -> new Caller(found.userId(), found.id(), found.admin()));
    }
}
