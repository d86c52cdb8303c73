package org.aigateway.gateway.auth;

import io.dropwizard.auth.UnauthorizedHandler;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.aigateway.support.errors.ErrorBody;
import org.aigateway.support.errors.ErrorResponses;

/** 401 in OpenAI's shape, which OpenAI SDKs turn into their authentication error. */
public class JsonUnauthorizedHandler implements UnauthorizedHandler {
    @Override
    public Response buildResponse(String prefix, String realm) {
        return Response.fromResponse(ErrorResponses.json(401, ErrorBody.of(
                        "Missing or invalid API key. Send it as 'Authorization: Bearer <key>'.",
                        "invalid_request_error", null, "invalid_api_key")))
                .header(HttpHeaders.WWW_AUTHENTICATE, prefix + " realm=\"" + realm + "\"")
                .build();
    }
}
