package org.aigateway.analytics.auth;

import io.dropwizard.auth.AuthFilter;
import jakarta.annotation.Priority;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;

import java.security.Principal;

/** Authenticates a request by the bearer token in its Authorization header, and by nothing else. */
@Priority(Priorities.AUTHENTICATION)
public class BearerTokenFilter<P extends Principal> extends AuthFilter<String, P> {
    private BearerTokenFilter() {
    }

    @Override
    public void filter(ContainerRequestContext request) {
        // Unlike OAuthCredentialAuthFilter there is no access_token query parameter: URLs end up in logs and caches.
        if (!authenticate(request, token(request.getHeaderString(HttpHeaders.AUTHORIZATION)), prefix)) {
            throw unauthorizedHandler.buildException(prefix, realm);
        }
    }

    private String token(String header) {
        if (header == null) {
            return null;
        }
        int space = header.indexOf(' ');
        if (space <= 0 || !prefix.equalsIgnoreCase(header.substring(0, space))) {
            return null;
        }
        String token = header.substring(space + 1).strip();
        return token.isEmpty() ? null : token;
    }

    /** Builds the filter with the Bearer scheme preset. */
    public static class Builder<P extends Principal> extends AuthFilterBuilder<String, P, BearerTokenFilter<P>> {
        public Builder() {
            setPrefix("Bearer");
        }

        @Override
        protected BearerTokenFilter<P> newInstance() {
            return new BearerTokenFilter<>();
        }
    }
}
