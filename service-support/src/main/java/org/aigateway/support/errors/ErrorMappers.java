package org.aigateway.support.errors;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.jersey.validation.JerseyViolationException;
import jakarta.validation.ConstraintViolation;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.component.LifeCycle;
import org.glassfish.jersey.server.ParamException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.stream.Collectors;

/**
 * Exception mappers that replace Dropwizard's defaults so that every error a client sees, whatever raised it,
 * has OpenAI's shape and no stack trace. Register all of them, and Jetty's error pages, via
 * {@link #register(Environment)}.
 */
public final class ErrorMappers {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorMappers.class);
    static final String UNKNOWN_URL = "Unknown request URL. Please check the URL and method.";
    static final String METHOD_NOT_ALLOWED = "Method not allowed for this URL.";
    static final String SERVER_ERROR = "The server had an error while processing your request.";

    private ErrorMappers() {
    }

    /** Registers the exception mappers with Jersey and puts {@link OpenAiErrorHandler} in front of Jetty's own pages. */
    public static void register(Environment environment) {
        registerMappers(environment.jersey());
        OpenAiErrorHandler errorHandler = new OpenAiErrorHandler();
        // Errors inside the application's servlet context (methods refused by Dropwizard's filter) ...
        environment.getApplicationContext().setErrorHandler(errorHandler);
        // ... and those Jetty answers before any context sees the request (malformed or oversized requests).
        environment.lifecycle().addEventListener(new LifeCycle.Listener() {
            @Override
            public void lifeCycleStarting(LifeCycle event) {
                if (event instanceof Server server) {
                    server.setErrorHandler(errorHandler);
                }
            }
        });
    }

    private static void registerMappers(io.dropwizard.jersey.setup.JerseyEnvironment jersey) {
        jersey.register(new ApiExceptionMapper());
        jersey.register(new WebApplicationExceptionMapper());
        jersey.register(new JsonExceptionMapper());
        jersey.register(new ViolationMapper());
        jersey.register(new EofMapper());
        jersey.register(new UnexpectedMapper());
    }

    @Provider
    public static class ApiExceptionMapper implements ExceptionMapper<ApiException> {
        @Override
        public Response toResponse(ApiException e) {
            return e.toResponse();
        }
    }

    @Provider
    public static class WebApplicationExceptionMapper implements ExceptionMapper<WebApplicationException> {
        @Override
        public Response toResponse(WebApplicationException e) {
            int status = e.getResponse().getStatus();
            if (e.getResponse().hasEntity()) {
                return e.getResponse();
            }
            if (status >= 500) {
                LOG.error("Request failed", e);
                return ErrorResponses.of(status, SERVER_ERROR);
            }
            String param = e instanceof ParamException p ? p.getParameterName() : null;
            String message = switch (status) {
                case 404 -> UNKNOWN_URL;
                case 405 -> METHOD_NOT_ALLOWED;
                case 406 -> "Only application/json responses are available here.";
                case 415 -> "Unsupported Content-Type; send application/json.";
                default -> e instanceof ParamException
                        ? "Invalid value for parameter '" + param + "'."
                        : messageOr(e, "Invalid request.");
            };
            return ErrorResponses.json(status, ErrorBody.of(message, ErrorBody.typeFor(status), param, null));
        }

        private static String messageOr(Exception e, String fallback) {
            String message = e.getMessage();
            return message == null || message.startsWith("HTTP ") ? fallback : message;
        }
    }

    @Provider
    public static class JsonExceptionMapper implements ExceptionMapper<JsonProcessingException> {
        @Override
        public Response toResponse(JsonProcessingException e) {
            // Jackson's original message echoes source snippets and class names; keep only the location.
            String where = e.getLocation() == null ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            return ErrorResponses.json(400, ErrorBody.of(
                    "We could not parse the JSON body of your request" + where + ". The body must be valid JSON.",
                    "invalid_request_error", null, "invalid_json"));
        }
    }

    @Provider
    public static class ViolationMapper implements ExceptionMapper<JerseyViolationException> {
        @Override
        public Response toResponse(JerseyViolationException e) {
            String message = e.getConstraintViolations().stream()
                    .map(ConstraintViolation::getMessage)
                    .sorted()
                    .collect(Collectors.joining("; "));
            return ErrorResponses.json(400, ErrorBody.of("Invalid request: " + message,
                    "invalid_request_error", null, null));
        }
    }

    /** A client that hangs up mid-response is not a server error. */
    @Provider
    public static class EofMapper implements ExceptionMapper<EofException> {
        @Override
        public Response toResponse(EofException e) {
            return Response.status(499).build();
        }
    }

    @Provider
    public static class UnexpectedMapper implements ExceptionMapper<Throwable> {
        @Override
        public Response toResponse(Throwable e) {
            LOG.error("Unexpected error", e);
            return ErrorResponses.of(500, SERVER_ERROR);
        }
    }
}
