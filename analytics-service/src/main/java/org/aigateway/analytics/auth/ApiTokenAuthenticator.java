package org.aigateway.analytics.auth;

import io.dropwizard.auth.Authenticator;
import io.dropwizard.auth.PrincipalImpl;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/** Accepts exactly the configured API token; whoever holds it is the analytics API's one trusted client. */
public class ApiTokenAuthenticator implements Authenticator<String, PrincipalImpl> {
    private static final PrincipalImpl CLIENT = new PrincipalImpl("analytics-api-client");

    private final byte[] apiToken;

    public ApiTokenAuthenticator(String apiToken) {
        this.apiToken = apiToken.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Optional<PrincipalImpl> authenticate(String token) {
        // Constant-time, so response timing does not tell a caller how much of a guess was right.
        return MessageDigest.isEqual(apiToken, token.getBytes(StandardCharsets.UTF_8))
                ? Optional.of(CLIENT)
                : Optional.empty();
    }
}
