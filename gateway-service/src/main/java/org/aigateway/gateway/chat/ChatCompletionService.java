package org.aigateway.gateway.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aigateway.gateway.auth.Caller;
import org.aigateway.gateway.chat.ChatRequestValidator.ValidChatRequest;
import org.aigateway.gateway.history.RequestHistoryDao;
import org.aigateway.gateway.history.RequestHistoryDao.Outcome;
import org.aigateway.gateway.history.RequestHistoryDao.Pending;
import org.aigateway.gateway.model.ModelCatalog;
import org.aigateway.gateway.provider.ProviderResponse;
import org.aigateway.gateway.provider.UpstreamException;
import org.aigateway.support.errors.ApiException;

import java.math.BigDecimal;
import java.util.UUID;

/**
 * Runs one chat completion: validates it, opens its history row as {@code pending}, calls the model's provider and
 * closes the row as {@code success} (tokens, cost, latency) or {@code error} (message, upstream status).
 */
public class ChatCompletionService {
    static final String REQUEST_TYPE = "chat.completion";

    /** What the client gets: the history id for {@code X-Request-Id}, an HTTP status and a JSON body. */
    public record ChatResult(UUID historyId, int status, Object body) {
    }

    private final ChatRequestValidator validator;
    private final RequestHistoryDao history;
    private final ObjectMapper mapper;

    public ChatCompletionService(ChatRequestValidator validator, RequestHistoryDao history, ObjectMapper mapper) {
        this.validator = validator;
        this.history = history;
        this.mapper = mapper;
    }

    public ChatResult complete(Caller caller, String sessionHeader, JsonNode requestBody) {
        String sessionId = validator.validateSessionId(sessionHeader);
        ValidChatRequest request = validator.validate(requestBody);
        if (request.stream()) {
            throw ApiException.invalidRequest("Streaming responses are not available on this gateway yet; send "
                    + "'stream': false.", "stream", "unsupported_value");
        }
        ModelCatalog.Model model = request.model();
        UUID historyId = UUID.randomUUID();
        history.insertPending(new Pending(historyId, caller.userId(), caller.keyId(), sessionId, model.providerName(),
                model.name(), model.upstreamModel(), REQUEST_TYPE, false, json(request.body())));

        ObjectNode upstreamRequest = request.body().deepCopy();
        upstreamRequest.put("model", model.upstreamModel());
        long started = System.nanoTime();
        try {
            ProviderResponse response = model.provider().complete(upstreamRequest);
            long elapsedMs = elapsedMs(started);
            var usage = response.usage();
            history.complete(new Outcome(historyId, "success", json(response.body()), null, 200, 200,
                    usage.promptTokens(), usage.completionTokens(), usage.totalTokens(), usage.cachedTokens(),
                    model.pricing().cost(usage), elapsedMs));
            return new ChatResult(historyId, 200, response.body());
        } catch (UpstreamException e) {
            ApiException clientError = e.clientError();
            closeAsError(historyId, clientError.getMessage(), e.upstreamStatus(), clientError.getStatus(), started);
            return new ChatResult(historyId, clientError.getStatus(), clientError.toBody());
        } catch (RuntimeException e) {
            closeAsError(historyId, "gateway error: " + e.getClass().getSimpleName(), null, 500, started);
            throw e;
        }
    }

    private void closeAsError(UUID historyId, String message, Integer upstreamStatus, int httpStatus, long started) {
        history.complete(new Outcome(historyId, "error", null, message, upstreamStatus, httpStatus,
                0, 0, 0, 0, BigDecimal.ZERO, elapsedMs(started)));
    }

    private static long elapsedMs(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    private String json(JsonNode node) {
        try {
            return mapper.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed JSON tree always serializes", e);
        }
    }
}
