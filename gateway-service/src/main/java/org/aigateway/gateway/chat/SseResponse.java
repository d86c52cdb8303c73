package org.aigateway.gateway.chat;

import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.aigateway.support.errors.ApiException;
import org.glassfish.jersey.server.ChunkedOutput;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * A suspended JAX-RS response written as server-sent events, exactly as OpenAI frames them ({@code data: …} and a
 * blank line). No request thread is held while the stream is open: events are written by whichever thread delivers
 * them.
 */
final class SseResponse implements EventStreamClient {
    static final MediaType EVENT_STREAM = new MediaType("text", "event-stream", StandardCharsets.UTF_8.name());

    private final AsyncResponse response;
    private final ChunkedOutput<String> output = new ChunkedOutput<>(String.class);

    SseResponse(AsyncResponse response) {
        this.response = response;
    }

    @Override
    public void open(UUID historyId) {
        response.resume(Response.ok(output, EVENT_STREAM)
                .header(ChatCompletionResource.REQUEST_ID_HEADER, historyId)
                .header("Cache-Control", "no-cache")
                // Tells reverse proxies such as nginx not to buffer the stream.
                .header("X-Accel-Buffering", "no")
                .build());
    }

    @Override
    public void send(String data) throws IOException {
        output.write("data: " + data + "\n\n");
    }

    @Override
    public void close() {
        try {
            output.close();
        } catch (IOException e) {
            // The client is gone; there is nothing left to tell it.
        }
    }

    @Override
    public void refuse(UUID historyId, ApiException error) {
        Response.ResponseBuilder builder = Response.status(error.getStatus())
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(error.toBody());
        if (historyId != null) {
            builder.header(ChatCompletionResource.REQUEST_ID_HEADER, historyId);
        }
        response.resume(builder.build());
    }
}
