package org.aigateway.support.errors;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** Builds error responses in OpenAI's shape. */
public final class ErrorResponses {
    private ErrorResponses() {
    }

    public static Response json(int status, ErrorBody body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(body).build();
    }

    public static Response of(int status, String message) {
        return json(status, ErrorBody.of(message, ErrorBody.typeFor(status), null, null));
    }
}
