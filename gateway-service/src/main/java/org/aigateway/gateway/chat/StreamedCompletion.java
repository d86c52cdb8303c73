package org.aigateway.gateway.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aigateway.gateway.provider.ChatStream;
import org.aigateway.gateway.provider.StreamListener;
import org.aigateway.gateway.provider.TokenUsage;
import org.aigateway.gateway.provider.UpstreamException;
import org.aigateway.support.errors.ApiException;

import java.io.IOException;
import java.util.UUID;

/**
 * One streamed completion between its upstream and its client: forwards each chunk as it arrives (leaving out the
 * usage chunk unless the client asked for it), keeps the answer and its timing, and ends exactly once — completed,
 * refused, broken by the upstream, or abandoned by the client — handing the result to {@link Ending}.
 */
final class StreamedCompletion implements StreamListener {
    /** How a stream ended, for the history row and its events. */
    interface Ending {
        void ended(StreamedCompletion stream, Result result);
    }

    /** A finished stream: status, what the client was told, and usage reported or estimated. */
    record Result(String status, int httpStatus, Integer upstreamStatus, String errorMessage, TokenUsage usage,
                  ObjectNode answer, Long timeToFirstTokenMs, long upstreamMs, long responseTimeMs) {
    }

    private final UUID historyId;
    private final JsonNode request;
    private final boolean clientWantsUsage;
    private final EventStreamClient client;
    private final ObjectMapper mapper;
    private final Ending ending;
    private final StreamedAnswer answer;
    private final long startedNanos;
    private final long upstreamStartedNanos;

    private ChatStream upstream;
    private boolean cancelRequested;
    private boolean opened;
    private boolean ended;
    private Long firstTokenNanos;
    private TokenUsage usage;

    StreamedCompletion(UUID historyId, JsonNode request, boolean clientWantsUsage, EventStreamClient client,
                       ObjectMapper mapper, long startedNanos, Ending ending) {
        this.historyId = historyId;
        this.request = request;
        this.clientWantsUsage = clientWantsUsage;
        this.client = client;
        this.mapper = mapper;
        this.ending = ending;
        this.answer = new StreamedAnswer(mapper);
        this.startedNanos = startedNanos;
        this.upstreamStartedNanos = System.nanoTime();
    }

    synchronized void attach(ChatStream stream) {
        upstream = stream;
        if (cancelRequested) {
            stream.cancel();
        }
    }

    @Override
    public synchronized void onOpen() {
        if (ended) {
            return;
        }
        opened = true;
        client.open(historyId);
    }

    @Override
    public synchronized void onChunk(ObjectNode chunk) {
        if (ended) {
            return;
        }
        if (answer.add(chunk) && firstTokenNanos == null) {
            firstTokenNanos = System.nanoTime();
        }
        ObjectNode forClient = forClient(chunk);
        if (forClient == null) {
            return;
        }
        try {
            client.send(mapper.writeValueAsString(forClient));
        } catch (IOException e) {
            abandoned();
        }
    }

    @Override
    public synchronized void onUsage(TokenUsage reported) {
        usage = reported;
    }

    @Override
    public synchronized void onComplete() {
        if (ended) {
            return;
        }
        try {
            client.send("[DONE]");
        } catch (IOException e) {
            // The answer is complete and billed; the client missed only the terminator.
        }
        client.close();
        TokenUsage counted = usage != null ? usage : UsageEstimate.of(request, answer.contentDeltas());
        end("success", 200, 200, usage != null ? null : "upstream reported no usage; tokens estimated", counted,
                answer.toCompletion(counted));
    }

    @Override
    public synchronized void onError(UpstreamException error) {
        if (ended) {
            return;
        }
        ApiException clientError = error.clientError();
        if (!opened) {
            client.refuse(historyId, clientError);
            end("error", clientError.getStatus(), error.upstreamStatus(), clientError.getMessage(), TokenUsage.NONE,
                    null);
            return;
        }
        try {
            // Mid-stream, OpenAI reports errors as an event carrying the usual error object.
            client.send(mapper.writeValueAsString(clientError.toBody()));
        } catch (IOException e) {
            // The client is gone too.
        }
        client.close();
        TokenUsage partial = usage != null ? usage : UsageEstimate.of(request, answer.contentDeltas());
        end("error", clientError.getStatus(), error.upstreamStatus(), "stream broken after "
                + answer.contentDeltas() + " content chunks" + estimated() + ": " + clientError.getMessage(), partial,
                answer.toCompletion(partial));
    }

    /** The gateway itself failed before the upstream answered. */
    synchronized void failed() {
        onError(new UpstreamException(new ApiException(500, "The gateway failed to start the stream.", "api_error",
                null, "gateway_error"), null));
    }

    private void abandoned() {
        if (upstream != null) {
            upstream.cancel();
        } else {
            cancelRequested = true;
        }
        client.close();
        TokenUsage partial = usage != null ? usage : UsageEstimate.of(request, answer.contentDeltas());
        end("cancelled", 200, 200, "client closed the stream after " + answer.contentDeltas() + " content chunks"
                + estimated(), partial, answer.toCompletion(partial));
    }

    private void end(String status, int httpStatus, Integer upstreamStatus, String message, TokenUsage counted,
                     ObjectNode completion) {
        ended = true;
        long now = System.nanoTime();
        ending.ended(this, new Result(status, httpStatus, upstreamStatus, message, counted, completion,
                firstTokenNanos == null ? null : (firstTokenNanos - startedNanos) / 1_000_000,
                (now - upstreamStartedNanos) / 1_000_000, (now - startedNanos) / 1_000_000));
    }

    private String estimated() {
        return usage == null ? "; tokens estimated" : "";
    }

    /** The chunk as the client asked for it: without usage unless {@code stream_options.include_usage} was set. */
    private ObjectNode forClient(ObjectNode chunk) {
        if (clientWantsUsage || !chunk.has("usage")) {
            return chunk;
        }
        if (chunk.path("choices").isEmpty() && !chunk.path("usage").isNull()) {
            return null;
        }
        ObjectNode copy = chunk.deepCopy();
        copy.remove("usage");
        return copy;
    }

}
