package org.aigateway.analytics.auth;

import io.dropwizard.auth.UnauthorizedHandler;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.aigateway.support.errors.ErrorBody;
import org.aigateway.support.errors.ErrorResponses;

/** Answers an unauthenticated request with a 401 in OpenAI's error shape and a Bearer challenge. */
public class OpenAiUnauthorizedHandler implements UnauthorizedHandler {
    @Override
    public Response buildResponse(String prefix, String realm) {
        ErrorBody body = ErrorBody.of(
                "Missing or invalid API token. Send it in the header 'Authorization: Bearer <token>'.",
                ErrorBody.typeFor(401), null, "invalid_api_key");
        // The response carries an entity, so Jersey returns it as is instead of passing it to ErrorMappers.
        return Response.fromResponse(ErrorResponses.json(401, body))
                .header(HttpHeaders.WWW_AUTHENTICATE, prefix + " realm=\"" + realm + "\"")
                .build();
    }
}
