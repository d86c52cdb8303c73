package org.aigateway.support.errors;

import jakarta.ws.rs.core.Response;

/** A failure the client is told about, with its HTTP status and OpenAI error fields. */
public class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public ApiException(int status, String message, String type, String param, String code) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    public static ApiException invalidRequest(String message, String param) {
        return new ApiException(400, message, "invalid_request_error", param, null);
    }

    public static ApiException invalidRequest(String message, String param, String code) {
        return new ApiException(400, message, "invalid_request_error", param, code);
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, message, "invalid_request_error", null, "not_found");
    }

    public int getStatus() {
        return status;
    }

    public String getType() {
        return type;
    }

    public String getParam() {
        return param;
    }

    public String getCode() {
        return code;
    }

    public ErrorBody toBody() {
        return ErrorBody.of(getMessage(), type, param, code);
    }

    public Response toResponse() {
        return ErrorResponses.json(status, toBody());
    }
}
