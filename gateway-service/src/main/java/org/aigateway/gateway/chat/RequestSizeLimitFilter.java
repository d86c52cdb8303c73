package org.aigateway.gateway.chat;

import jakarta.annotation.Priority;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.HttpHeaders;

/** Refuses a request whose declared length is over the limit before anything reads its body. */
@PreMatching
@Priority(100)
public class RequestSizeLimitFilter implements ContainerRequestFilter {
    private final long maxBytes;

    public RequestSizeLimitFilter(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    @Override
    public void filter(ContainerRequestContext request) {
        String declared = request.getHeaderString(HttpHeaders.CONTENT_LENGTH);
        if (declared != null) {
            try {
                if (Long.parseLong(declared.strip()) > maxBytes) {
                    request.abortWith(RequestBodies.tooLarge(maxBytes).toResponse());
                }
            } catch (NumberFormatException e) {
                // Jetty already refuses a malformed Content-Length; nothing to add here.
            }
        }
    }
}
