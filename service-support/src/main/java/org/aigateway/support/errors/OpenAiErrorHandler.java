package org.aigateway.support.errors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.MimeTypes;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;

/**
 * Answers the errors Jetty raises before a request reaches Jersey (a malformed request line or header, headers or
 * URL over the size limit, an ambiguous path, a method the server does not allow) in OpenAI's error shape instead
 * of Jetty's HTML page. The message is chosen by status only: Jetty's reason may quote what the client sent.
 */
public class OpenAiErrorHandler extends ErrorHandler {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public boolean errorPageForMethod(String method) {
        // Jetty writes bodies only for GET, POST and HEAD; a refused TRACE or PROPFIND deserves one too.
        return !"HEAD".equals(method);
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) throws JsonProcessingException {
        ErrorBody body = ErrorBody.of(messageFor(code), ErrorBody.typeFor(code), null, null);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, MimeTypes.Type.APPLICATION_JSON.asString());
        response.write(true, ByteBuffer.wrap(JSON.writeValueAsBytes(body)), callback);
    }

    static String messageFor(int status) {
        return switch (status) {
            case 400 -> "The HTTP request is malformed: check the request line, the headers and the body's framing.";
            case 404 -> ErrorMappers.UNKNOWN_URL;
            case 405 -> ErrorMappers.METHOD_NOT_ALLOWED;
            case 408 -> "The request took too long to arrive.";
            case 413 -> "The request is larger than this server accepts.";
            case 414 -> "The request URL is too long.";
            case 431 -> "The request headers are too large.";
            default -> status >= 500 ? ErrorMappers.SERVER_ERROR : "The request could not be processed.";
        };
    }
}
