package org.aigateway.gateway.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aigateway.contracts.TimeOrderedUuids;
import org.aigateway.gateway.auth.Caller;
import org.aigateway.gateway.chat.ChatRequestValidator.ValidChatRequest;
import org.aigateway.gateway.history.HistoryContent;
import org.aigateway.gateway.history.HistoryWriter;
import org.aigateway.gateway.history.HistoryWriter.OpenRow;
import org.aigateway.gateway.history.RequestHistoryDao.Outcome;
import org.aigateway.gateway.history.RequestHistoryDao.Pending;
import org.aigateway.gateway.model.ModelCatalog;
import org.aigateway.gateway.outbox.OutboxMessage;
import org.aigateway.gateway.outbox.RequestEvents;
import org.aigateway.gateway.provider.ProviderResponse;
import org.aigateway.gateway.provider.TokenUsage;
import org.aigateway.gateway.provider.UpstreamException;
import org.aigateway.support.errors.ApiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * Runs one chat completion: validates it, opens its history row as {@code pending} (for whole answers while it
 * calls the model's provider, for streams before), and closes the row — {@code success} (tokens, cost, latency),
 * {@code error}, or for streams also {@code cancelled} when the client left — together with the request's events in
 * the outbox.
 */
public class ChatCompletionService {
    static final String REQUEST_TYPE = "chat.completion";
    private static final Logger LOG = LoggerFactory.getLogger(ChatCompletionService.class);

    /** What the client gets: the history id for {@code X-Request-Id}, an HTTP status and a JSON body. */
    public record ChatResult(UUID historyId, int status, Object body) {
    }

    /** A validated request and its session, ready to run. */
    public record ChatRequest(String sessionId, ValidChatRequest request, long startedNanos) {
        public boolean stream() {
            return request.stream();
        }
    }

    private final ChatRequestValidator validator;
    private final HistoryWriter history;
    private final RequestEvents events;
    private final Runnable eventsQueued;
    private final ObjectMapper mapper;
    private final HistoryContent content;
    private final String gatewayInstance;

    /**
     * @param eventsQueued  called after a request's events committed to the outbox, so the relay sends them at once
     * @param gatewayInstance this instance's id, recorded on each row so a restart closes only its own leftovers
     * @param content       what of a request and its answer history keeps
     */
    public ChatCompletionService(ChatRequestValidator validator, HistoryWriter history, RequestEvents events,
                                 Runnable eventsQueued, ObjectMapper mapper, String gatewayInstance,
                                 HistoryContent content) {
        this.validator = validator;
        this.history = history;
        this.events = events;
        this.eventsQueued = eventsQueued;
        this.mapper = mapper;
        this.content = content;
        this.gatewayInstance = gatewayInstance;
    }

    /** @param sessionHeaders every {@code X-Session-Id} header the request carried */
    public ChatRequest prepare(List<String> sessionHeaders, JsonNode requestBody) {
        long started = System.nanoTime();
        if (sessionHeaders != null && sessionHeaders.size() > 1) {
            throw ApiException.invalidRequest("Send at most one X-Session-Id header.", "X-Session-Id");
        }
        String sessionId = validator.validateSessionId(
                sessionHeaders == null || sessionHeaders.isEmpty() ? null : sessionHeaders.get(0));
        return new ChatRequest(sessionId, validator.validate(requestBody), started);
    }

    public ChatResult complete(Caller caller, ChatRequest chat) {
        ValidChatRequest request = chat.request();
        ModelCatalog.Model model = request.model();
        OpenRow row = history.open(pending(caller, chat, false));
        long upstreamStarted = System.nanoTime();
        ProviderResponse response;
        try {
            response = model.provider().complete(upstreamRequest(request));
        } catch (UpstreamException e) {
            ApiException clientError = e.clientError();
            close(row, errorOutcome(row.id(), clientError.getMessage(), e.upstreamStatus(), clientError.getStatus(),
                    chat.startedNanos()), elapsedMs(upstreamStarted));
            return new ChatResult(row.id(), clientError.getStatus(), clientError.toBody());
        } catch (RuntimeException e) {
            close(row, errorOutcome(row.id(), "gateway error: " + e.getClass().getSimpleName(), null, 500,
                    chat.startedNanos()), elapsedMs(upstreamStarted));
            throw e;
        }
        // The provider has answered and billed: a failure to record it must not be recorded as a failed request.
        long upstreamMs = elapsedMs(upstreamStarted);
        TokenUsage usage = response.usage();
        close(row, new Outcome(row.id(), "success", content.response(response.body()), null, 200, 200,
                usage.promptTokens(), usage.completionTokens(), usage.totalTokens(), usage.cachedTokens(),
                usage.cacheCreationTokens(), model.pricing().cost(usage), elapsedMs(chat.startedNanos()), null),
                upstreamMs);
        return new ChatResult(row.id(), 200, response.body());
    }

    /**
     * Starts a streamed completion and returns without waiting for it; the client gets its events as the upstream
     * sends them, and the history row is closed when the stream ends, however it ends.
     */
    public void stream(Caller caller, ChatRequest chat, EventStreamClient client) {
        ValidChatRequest request = chat.request();
        ModelCatalog.Model model = request.model();
        // A stream's answer reaches its client before its closing is written, so its row must exist before the
        // upstream is called: should the database be unreachable, the request fails here, before it is billed.
        OpenRow row = history.openWritten(pending(caller, chat, true));
        ObjectNode upstreamRequest = upstreamRequest(request);
        // Always ask for usage, so streamed requests are billed exactly; the client sees it only if it asked too.
        boolean clientWantsUsage = request.body().path("stream_options").path("include_usage").asBoolean(false);
        ObjectNode streamOptions = upstreamRequest.has("stream_options") && upstreamRequest.get("stream_options").isObject()
                ? (ObjectNode) upstreamRequest.get("stream_options") : upstreamRequest.putObject("stream_options");
        streamOptions.put("include_usage", true);

        StreamedCompletion stream = new StreamedCompletion(row.id(), request.body(), clientWantsUsage, client,
                mapper, chat.startedNanos(), (ended, result) -> closeStream(row, model, result));
        try {
            stream.attach(model.provider().stream(upstreamRequest, stream));
        } catch (RuntimeException e) {
            LOG.error("Starting a stream on provider '{}' failed", model.providerName(), e);
            stream.failed();
        }
    }

    private void closeStream(OpenRow row, ModelCatalog.Model model, StreamedCompletion.Result result) {
        CompletableFuture<Boolean> closed;
        try {
            TokenUsage usage = result.usage();
            Outcome outcome = new Outcome(row.id(), result.status(),
                    result.answer() == null ? null : content.response(result.answer()), result.errorMessage(),
                    result.upstreamStatus(), result.httpStatus(), usage.promptTokens(), usage.completionTokens(),
                    usage.totalTokens(), usage.cachedTokens(), usage.cacheCreationTokens(), model.pricing().cost(usage),
                    result.responseTimeMs(), result.timeToFirstTokenMs());
            // Not waited for: the thread that delivered the last chunk serves other streams.
            closed = history.closeLater(row, outcome, events(row.pending(), outcome, result.upstreamMs()));
        } catch (RuntimeException e) {
            closed = CompletableFuture.failedFuture(e);
        }
        closed.whenComplete((wasClosed, failure) -> {
            if (failure != null) {
                // The row stays pending; the pending-request sweep closes it later.
                LOG.error("Recording the end of streamed request {} failed", row.id(), failure);
            } else if (wasClosed) {
                eventsQueued.run();
            }
        });
    }

    /** The request's pending row. */
    private Pending pending(Caller caller, ChatRequest chat, boolean stream) {
        ValidChatRequest request = chat.request();
        ModelCatalog.Model model = request.model();
        // Microseconds: the precision PostgreSQL keeps, so the event's timestamp equals the stored created_at.
        Instant createdAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
        return new Pending(TimeOrderedUuids.next(), createdAt, caller.userId(), caller.keyId(), chat.sessionId(),
                model.providerName(), model.name(), model.upstreamModel(), REQUEST_TYPE, stream, content.request(request.body()),
                gatewayInstance);
    }

    private static ObjectNode upstreamRequest(ValidChatRequest request) {
        ObjectNode upstream = request.body().deepCopy();
        upstream.put("model", request.model().upstreamModel());
        return upstream;
    }

    /** Closes the row with its events. */
    private void close(OpenRow row, Outcome outcome, long upstreamMs) {
        if (history.close(row, outcome, events(row.pending(), outcome, upstreamMs))) {
            eventsQueued.run();
        }
    }

    /** The request's events; the usage event carries the request as history keeps it, never more. */
    private List<OutboxMessage> events(Pending pending, Outcome outcome, long upstreamMs) {
        JsonNode recordedRequest;
        try {
            recordedRequest = mapper.readTree(pending.requestJson());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("history content is always JSON", e);
        }
        return events.forOutcome(pending, outcome, upstreamMs, recordedRequest);
    }

    private static Outcome errorOutcome(UUID id, String message, Integer upstreamStatus, int httpStatus,
                                        long started) {
        return new Outcome(id, "error", null, message, upstreamStatus, httpStatus, 0, 0, 0, 0, 0,
                BigDecimal.ZERO, elapsedMs(started), null);
    }

    private static long elapsedMs(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }
}
