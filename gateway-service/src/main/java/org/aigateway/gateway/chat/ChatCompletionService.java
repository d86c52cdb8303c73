package org.aigateway.gateway.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aigateway.gateway.auth.Caller;
import org.aigateway.gateway.chat.ChatRequestValidator.ValidChatRequest;
import org.aigateway.gateway.history.JsonbSafeWriter;
import org.aigateway.gateway.history.RequestHistoryDao;
import org.aigateway.gateway.history.RequestHistoryDao.Outcome;
import org.aigateway.gateway.history.RequestHistoryDao.Pending;
import org.aigateway.gateway.model.ModelCatalog;
import org.aigateway.gateway.outbox.RequestEvents;
import org.aigateway.gateway.provider.ProviderResponse;
import org.aigateway.gateway.provider.TokenUsage;
import org.aigateway.gateway.provider.UpstreamException;
import org.aigateway.support.errors.ApiException;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/**
 * Runs one chat completion: validates it, opens its history row as {@code pending}, calls the model's provider and
 * closes the row as {@code success} (tokens, cost, latency) or {@code error} (message, upstream status), together
 * with the request's events in the outbox.
 */
public class ChatCompletionService {
    static final String REQUEST_TYPE = "chat.completion";

    /** What the client gets: the history id for {@code X-Request-Id}, an HTTP status and a JSON body. */
    public record ChatResult(UUID historyId, int status, Object body) {
    }

    private final ChatRequestValidator validator;
    private final RequestHistoryDao history;
    private final RequestEvents events;
    private final Runnable eventsQueued;
    private final ObjectWriter historyJson;
    private final String gatewayInstance;

    /**
     * @param eventsQueued called after a request's events committed to the outbox, so the relay sends them at once
     * @param gatewayInstance this instance's id, recorded on each row so a restart closes only its own leftovers
     */
    public ChatCompletionService(ChatRequestValidator validator, RequestHistoryDao history, RequestEvents events,
                                 Runnable eventsQueued, ObjectMapper mapper, String gatewayInstance) {
        this.validator = validator;
        this.history = history;
        this.events = events;
        this.eventsQueued = eventsQueued;
        this.historyJson = JsonbSafeWriter.of(mapper);
        this.gatewayInstance = gatewayInstance;
    }

    public ChatResult complete(Caller caller, String sessionHeader, JsonNode requestBody) {
        long started = System.nanoTime();
        String sessionId = validator.validateSessionId(sessionHeader);
        ValidChatRequest request = validator.validate(requestBody);
        if (request.stream()) {
            throw ApiException.invalidRequest("Streaming responses are not available on this gateway yet; send "
                    + "'stream': false.", "stream", "unsupported_value");
        }
        ModelCatalog.Model model = request.model();
        // Microseconds: the precision PostgreSQL keeps, so the event's timestamp equals the stored created_at.
        Instant createdAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
        Pending pending = new Pending(UUID.randomUUID(), createdAt, caller.userId(), caller.keyId(), sessionId,
                model.providerName(), model.name(), model.upstreamModel(), REQUEST_TYPE, false, json(request.body()),
                gatewayInstance);
        history.insertPending(pending);

        ObjectNode upstreamRequest = request.body().deepCopy();
        upstreamRequest.put("model", model.upstreamModel());
        long upstreamStarted = System.nanoTime();
        ProviderResponse response;
        try {
            response = model.provider().complete(upstreamRequest);
        } catch (UpstreamException e) {
            ApiException clientError = e.clientError();
            close(pending, errorOutcome(pending, clientError.getMessage(), e.upstreamStatus(), clientError.getStatus(),
                    started), elapsedMs(upstreamStarted), request.body());
            return new ChatResult(pending.id(), clientError.getStatus(), clientError.toBody());
        } catch (RuntimeException e) {
            close(pending, errorOutcome(pending, "gateway error: " + e.getClass().getSimpleName(), null, 500, started),
                    elapsedMs(upstreamStarted), request.body());
            throw e;
        }
        // The provider has answered and billed: a failure to record it must not be recorded as a failed request.
        long upstreamMs = elapsedMs(upstreamStarted);
        TokenUsage usage = response.usage();
        close(pending, new Outcome(pending.id(), "success", json(response.body()), null, 200, 200,
                usage.promptTokens(), usage.completionTokens(), usage.totalTokens(), usage.cachedTokens(),
                usage.cacheCreationTokens(), model.pricing().cost(usage), elapsedMs(started), null), upstreamMs,
                request.body());
        return new ChatResult(pending.id(), 200, response.body());
    }

    private void close(Pending pending, Outcome outcome, long upstreamMs, JsonNode requestBody) {
        if (history.completeWithEvents(outcome, events.forOutcome(pending, outcome, upstreamMs, requestBody))) {
            eventsQueued.run();
        }
    }

    private static Outcome errorOutcome(Pending pending, String message, Integer upstreamStatus, int httpStatus,
                                        long started) {
        return new Outcome(pending.id(), "error", null, message, upstreamStatus, httpStatus, 0, 0, 0, 0, 0,
                BigDecimal.ZERO, elapsedMs(started), null);
    }

    private static long elapsedMs(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    private String json(JsonNode node) {
        try {
            return historyJson.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed JSON tree always serializes", e);
        }
    }
}
