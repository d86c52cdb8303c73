package org.aigateway.gateway.chat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.dropwizard.auth.Auth;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.aigateway.gateway.auth.Caller;
import org.aigateway.gateway.chat.ChatCompletionService.ChatRequest;

import java.io.InputStream;
import java.util.List;

/**
 * OpenAI's {@code POST /v1/chat/completions}, also under the bare {@code /chat/completions}. The body is read as
 * bytes and parsed here, so any Content-Type is accepted, as OpenAI does, and size limits hold for chunked bodies too.
 * With {@code "stream": true} the answer is a server-sent event stream that holds no request thread while open.
 */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
public class ChatCompletionResource {
    public static final String REQUEST_ID_HEADER = "X-Request-Id";
    public static final String SESSION_ID_HEADER = "X-Session-Id";

    private final ChatCompletionService chat;
    private final ObjectReader json;
    private final long maxBodyBytes;

    public ChatCompletionResource(ChatCompletionService chat, ObjectMapper mapper, long maxBodyBytes) {
        this.chat = chat;
        // Anything after the first JSON value means the body is not one JSON document.
        this.json = mapper.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        this.maxBodyBytes = maxBodyBytes;
    }

    // Whatever the client accepts, like OpenAI: streaming SDKs send "Accept: text/event-stream".
    @POST
    @Path("v1/chat/completions")
    @Produces(MediaType.WILDCARD)
    public void create(@Auth Caller caller, @HeaderParam(SESSION_ID_HEADER) List<String> sessionId, InputStream body,
                       @Suspended AsyncResponse response) {
        try {
            ChatRequest request = chat.prepare(sessionId, json.readTree(RequestBodies.readAtMost(body, maxBodyBytes)));
            if (request.stream()) {
                chat.stream(caller, request, new SseResponse(response));
                return;
            }
            var result = chat.complete(caller, request);
            response.resume(Response.status(result.status())
                    .type(MediaType.APPLICATION_JSON_TYPE)
                    .header(REQUEST_ID_HEADER, result.historyId())
                    .entity(result.body())
                    .build());
        } catch (Exception e) {
            // Mapped to an OpenAI-shaped error like any exception thrown by a synchronous resource.
            response.resume(e);
        }
    }

    @POST
    @Path("chat/completions")
    @Produces(MediaType.WILDCARD)
    public void createUnversioned(@Auth Caller caller, @HeaderParam(SESSION_ID_HEADER) List<String> sessionId,
                                  InputStream body, @Suspended AsyncResponse response) {
        create(caller, sessionId, body, response);
    }
}
