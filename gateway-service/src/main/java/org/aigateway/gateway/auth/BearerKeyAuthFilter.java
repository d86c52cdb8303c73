package org.aigateway.gateway.auth;

import io.dropwizard.auth.AuthFilter;
import jakarta.annotation.Priority;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;

import java.util.List;

/**
 * Reads the key from the {@code Authorization: Bearer} header only. Unlike dropwizard-auth's OAuth filter it never
 * accepts an {@code access_token} query parameter, so keys cannot end up in URLs, request logs or proxies.
 */
@Priority(Priorities.AUTHENTICATION)
public class BearerKeyAuthFilter extends AuthFilter<String, Caller> {
    private static final String SCHEME = "Bearer";
    private static final int MAX_KEY_LENGTH = 512;

    private AuthFailureAlerts alerts;

    @Override
    public void filter(ContainerRequestContext requestContext) {
        String key = bearerKey(requestContext);
        if (!authenticate(requestContext, key, SCHEME)) {
            if (alerts != null) {
                alerts.refused(key == null ? "missing or malformed Authorization header" : "unknown or revoked API key");
            }
            throw unauthorizedHandler.buildException(prefix, realm);
        }
    }

    /** The key, or null when the header is missing, repeated, malformed or absurdly long. */
    static String bearerKey(ContainerRequestContext requestContext) {
        List<String> headers = requestContext.getHeaders().get(HttpHeaders.AUTHORIZATION);
        if (headers == null || headers.size() != 1) {
            return null;
        }
        String header = headers.get(0).strip();
        int space = header.indexOf(' ');
        if (space <= 0 || !header.substring(0, space).equalsIgnoreCase(SCHEME)) {
            return null;
        }
        String key = header.substring(space + 1).strip();
        return key.isEmpty() || key.length() > MAX_KEY_LENGTH || key.indexOf(' ') >= 0 ? null : key;
    }

    /** Builds the filter with dropwizard-auth's usual builder. */
    public static class Builder extends AuthFilterBuilder<String, Caller, BearerKeyAuthFilter> {
        private AuthFailureAlerts alerts;

        /** Where refusals are reported; optional. */
        public Builder setAlerts(AuthFailureAlerts alerts) {
            this.alerts = alerts;
            return this;
        }

        @Override
        protected BearerKeyAuthFilter newInstance() {
            BearerKeyAuthFilter filter = new BearerKeyAuthFilter();
            filter.alerts = alerts;
            return filter;
        }
    }
}
