package org.aigateway.gateway.auth;

import io.dropwizard.auth.Authorizer;
import jakarta.ws.rs.container.ContainerRequestContext;

/** Grants the {@code admin} role to admin keys only. */
public class AdminAuthorizer implements Authorizer<Caller> {
    @Override
    public boolean authorize(Caller caller, String role, ContainerRequestContext requestContext) {
        return Caller.ADMIN_ROLE.equals(role) && caller.admin();
    }
}
