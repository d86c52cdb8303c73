package org.aigateway.bench.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Answers chat completions with the canned completion, streaming it chunk by chunk when asked to. */
final class CompletionHandler extends Handler.Abstract.NonBlocking {
    private final CannedCompletions completions;
    private final ScheduledExecutorService timer;
    private final long intervalMillis;
    private final StreamGate gate;
    private final ObjectMapper mapper = new ObjectMapper();

    CompletionHandler(CannedCompletions completions, ScheduledExecutorService timer, Duration interval,
                      StreamGate gate) {
        this.completions = completions;
        this.timer = timer;
        this.intervalMillis = interval.toMillis();
        this.gate = gate;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        if (!"POST".equals(request.getMethod()) || !request.getHttpURI().getPath().endsWith("/chat/completions")) {
            Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
            return true;
        }
        Content.Source.asStringAsync(request, StandardCharsets.UTF_8).whenComplete((body, failure) -> {
            if (failure != null) {
                callback.failed(failure);
                return;
            }
            JsonNode json;
            try {
                json = mapper.readTree(body);
            } catch (IOException e) {
                Response.writeError(request, response, callback, HttpStatus.BAD_REQUEST_400, "body is not JSON");
                return;
            }
            if (json != null && json.path("stream").asBoolean(false)) {
                stream(response, callback, json.path("stream_options").path("include_usage").asBoolean(false));
            } else {
                byte[] answer = completions.completion();
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.length);
                response.write(true, ByteBuffer.wrap(answer), callback);
            }
        });
        return true;
    }

    private void stream(Response response, Callback callback, boolean includeUsage) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        new Stream(response, callback, includeUsage).writeChunk(0);
    }

    /**
     * One response being streamed: each write, once done, schedules the next one an interval later; after the first
     * chunk the stream passes the gate, which may hold it until enough streams are open.
     */
    private final class Stream {
        private final Response response;
        private final Callback done;
        private final boolean includeUsage;

        Stream(Response response, Callback done, boolean includeUsage) {
            this.response = response;
            this.done = done;
            this.includeUsage = includeUsage;
        }

        void writeChunk(int index) {
            if (index == completions.contentChunks()) {
                response.write(true, ByteBuffer.wrap(completions.end(includeUsage)), done);
                return;
            }
            Runnable next = () -> timer.schedule(() -> writeChunk(index + 1), intervalMillis, TimeUnit.MILLISECONDS);
            response.write(false, ByteBuffer.wrap(completions.contentEvent(index)), Callback.from(
                    index == 0 ? () -> gate.pass(next) : next, done::failed));
        }
    }
}
