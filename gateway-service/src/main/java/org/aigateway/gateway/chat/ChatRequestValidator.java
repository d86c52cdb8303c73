package org.aigateway.gateway.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aigateway.gateway.model.ModelCatalog;
import org.aigateway.support.errors.ApiException;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks the fields of a Chat Completions request that the gateway relies on or that an upstream would reject
 * anyway, so bad input is refused with a precise 400 before any history is written. Fields it does not know pass
 * through to the provider untouched.
 */
public class ChatRequestValidator {
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool", "function");
    private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9._:@/-]{1,128}");
    static final int MAX_MESSAGES = 10_000;
    private static final int MAX_DECIMAL_EXPONENT = 308;
    static final int MAX_ADDED_DIGITS = 10_000;

    /** A request that passed validation, resolved to its configured model. */
    public record ValidChatRequest(ModelCatalog.Model model, ObjectNode body, boolean stream) {
    }

    private final ModelCatalog catalog;

    public ChatRequestValidator(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    public ValidChatRequest validate(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw ApiException.invalidRequest("The request body must be a JSON object.", null);
        }
        ObjectNode body = (ObjectNode) root;
        rejectUnrepresentableNumbers(body, "", new int[] {MAX_ADDED_DIGITS});
        JsonNode model = body.get("model");
        if (model == null || model.isNull()) {
            throw ApiException.invalidRequest("you must provide a model parameter", "model");
        }
        if (!model.isTextual() || model.asText().isBlank()) {
            throw ApiException.invalidRequest("'model' must be a non-empty string.", "model");
        }
        ModelCatalog.Model resolved = catalog.find(model.asText()).orElseThrow(() -> new ApiException(404,
                "The model '" + printable(model.asText()) + "' does not exist or you do not have access to it.",
                "invalid_request_error", "model", "model_not_found"));
        validateMessages(body.get("messages"));
        boolean stream = optionalBoolean(body, "stream");
        validateStreamOptions(body.get("stream_options"), stream);
        optionalInteger(body, "max_tokens", 1, Integer.MAX_VALUE);
        optionalInteger(body, "max_completion_tokens", 1, Integer.MAX_VALUE);
        optionalInteger(body, "n", 1, 128);
        optionalNumber(body, "temperature", 0, 2);
        optionalNumber(body, "top_p", 0, 1);
        optionalNumber(body, "presence_penalty", -2, 2);
        optionalNumber(body, "frequency_penalty", -2, 2);
        if (body.has("user") && !body.get("user").isTextual() && !body.get("user").isNull()) {
            throw ApiException.invalidRequest("'user' must be a string.", "user");
        }
        validatePassThroughTypes(body);
        return new ValidChatRequest(resolved, body, stream);
    }

    /**
     * Numbers beyond what a double can hold (1e999999999) parse fine as BigDecimal but cannot be stored or
     * forwarded as plain JSON numbers; refuse them wherever they are, also in fields passed through. Numbers are
     * written out in full when stored and forwarded, so {@code 1e300} grows from 5 characters to 301: the digits
     * a whole request may gain that way are limited, or a small request would become a huge history row.
     */
    private static void rejectUnrepresentableNumbers(JsonNode node, String path, int[] digitsLeft) {
        if (node.isBigDecimal()) {
            java.math.BigDecimal value = node.decimalValue();
            if (Math.abs((long) value.precision() - value.scale()) > MAX_DECIMAL_EXPONENT
                    || Math.abs((long) value.scale()) > MAX_DECIMAL_EXPONENT) {
                throw ApiException.invalidRequest("Number out of range at '" + (path.isEmpty() ? "body" : path) + "'.",
                        path.isEmpty() ? null : path, "decimal_out_of_range");
            }
            digitsLeft[0] -= value.scale() < 0 ? -value.scale() : Math.max(0, value.scale() - value.precision());
            if (digitsLeft[0] < 0) {
                throw ApiException.invalidRequest("Numbers with large exponents grow the request by more than "
                        + MAX_ADDED_DIGITS + " digits when written out in full; the limit was passed at '" + path
                        + "'.", path.isEmpty() ? null : path, "decimal_out_of_range");
            }
        } else if (node.isBigInteger() && node.bigIntegerValue().bitLength() > 1024) {
            throw ApiException.invalidRequest("Number out of range at '" + path + "'.", path, "integer_out_of_range");
        } else if (node.isContainerNode()) {
            if (node.isArray()) {
                for (int i = 0; i < node.size(); i++) {
                    rejectUnrepresentableNumbers(node.get(i), path + "[" + i + "]", digitsLeft);
                }
            } else {
                node.fields().forEachRemaining(field -> rejectUnrepresentableNumbers(field.getValue(),
                        path.isEmpty() ? field.getKey() : path + "." + field.getKey(), digitsLeft));
            }
        }
    }

    private static void validateStreamOptions(JsonNode options, boolean stream) {
        if (options == null || options.isNull()) {
            return;
        }
        if (!stream) {
            throw ApiException.invalidRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                    "stream_options");
        }
        if (!options.isObject()) {
            throw ApiException.invalidRequest("'stream_options' must be an object.", "stream_options");
        }
        JsonNode includeUsage = options.get("include_usage");
        if (includeUsage != null && !includeUsage.isNull() && !includeUsage.isBoolean()) {
            throw ApiException.invalidRequest("'stream_options.include_usage' must be a boolean.",
                    "stream_options.include_usage");
        }
    }

    /**
     * Fields the gateway passes on without reading, checked only for their JSON type: a request every upstream
     * would refuse is refused here, before it costs a history row and an upstream call.
     */
    private static void validatePassThroughTypes(ObjectNode body) {
        JsonNode stop = body.get("stop");
        if (stop != null && !stop.isNull() && !stop.isTextual()
                && !(stop.isArray() && allMatch(stop, JsonNode::isTextual))) {
            throw ApiException.invalidRequest("'stop' must be a string or an array of strings.", "stop");
        }
        optionalBoolean(body, "logprobs");
        optionalBoolean(body, "parallel_tool_calls");
        optionalInteger(body, "seed", Long.MIN_VALUE, Long.MAX_VALUE);
        optionalInteger(body, "top_logprobs", 0, 20);
        JsonNode logitBias = body.get("logit_bias");
        if (logitBias != null && !logitBias.isNull() && !(logitBias.isObject()
                && allMatch(logitBias, bias -> bias.isNumber() && bias.asDouble() >= -100 && bias.asDouble() <= 100))) {
            throw ApiException.invalidRequest("'logit_bias' must map token ids to numbers from -100 to 100.",
                    "logit_bias");
        }
        JsonNode tools = body.get("tools");
        if (tools != null && !tools.isNull() && !(tools.isArray() && allMatch(tools, JsonNode::isObject))) {
            throw ApiException.invalidRequest("'tools' must be an array of objects.", "tools");
        }
        JsonNode toolChoice = body.get("tool_choice");
        if (toolChoice != null && !toolChoice.isNull() && !toolChoice.isTextual() && !toolChoice.isObject()) {
            throw ApiException.invalidRequest("'tool_choice' must be a string or an object.", "tool_choice");
        }
        JsonNode responseFormat = body.get("response_format");
        if (responseFormat != null && !responseFormat.isNull() && !responseFormat.isObject()) {
            throw ApiException.invalidRequest("'response_format' must be an object.", "response_format");
        }
    }

    private static boolean allMatch(JsonNode container, java.util.function.Predicate<JsonNode> test) {
        for (JsonNode element : container) {
            if (!test.test(element)) {
                return false;
            }
        }
        return true;
    }

    /** The session header is optional, but when present it must be a short, printable identifier. */
    public String validateSessionId(String sessionId) {
        if (sessionId == null) {
            return null;
        }
        if (!SESSION_ID.matcher(sessionId).matches()) {
            throw ApiException.invalidRequest("X-Session-Id must be 1 to 128 characters of letters, digits and . _ : @ / -",
                    "X-Session-Id");
        }
        return sessionId;
    }

    private static void validateMessages(JsonNode messages) {
        if (messages == null || messages.isNull()) {
            throw ApiException.invalidRequest("Missing required parameter: 'messages'.", "messages");
        }
        if (!messages.isArray()) {
            throw ApiException.invalidRequest("'messages' must be an array.", "messages");
        }
        if (messages.isEmpty()) {
            throw ApiException.invalidRequest("'messages' must contain at least one message.", "messages");
        }
        if (messages.size() > MAX_MESSAGES) {
            throw ApiException.invalidRequest("'messages' may hold at most " + MAX_MESSAGES + " messages.", "messages");
        }
        for (int i = 0; i < messages.size(); i++) {
            validateMessage(messages.get(i), "messages[" + i + "]");
        }
    }

    private static void validateMessage(JsonNode message, String param) {
        if (!message.isObject()) {
            throw ApiException.invalidRequest("'" + param + "' must be an object.", param);
        }
        JsonNode role = message.get("role");
        if (role == null || !role.isTextual()) {
            throw ApiException.invalidRequest("Missing required parameter: '" + param + ".role'.", param + ".role");
        }
        if (!ROLES.contains(role.asText())) {
            throw ApiException.invalidRequest("Invalid value for '" + param + ".role': expected one of "
                    + "system, developer, user, assistant, tool, function.", param + ".role");
        }
        JsonNode content = message.get("content");
        boolean assistantWithCalls = "assistant".equals(role.asText())
                && (message.hasNonNull("tool_calls") || message.hasNonNull("function_call"));
        if (content == null || content.isNull()) {
            if (!assistantWithCalls) {
                throw ApiException.invalidRequest("Missing required parameter: '" + param + ".content'.", param + ".content");
            }
        } else if (content.isArray()) {
            for (int j = 0; j < content.size(); j++) {
                JsonNode part = content.get(j);
                if (!part.isObject() || !part.path("type").isTextual()) {
                    throw ApiException.invalidRequest("'" + param + ".content[" + j + "]' must be an object with a 'type'.",
                            param + ".content[" + j + "]");
                }
            }
        } else if (!content.isTextual()) {
            throw ApiException.invalidRequest("'" + param + ".content' must be a string or an array of content parts.",
                    param + ".content");
        }
        if ("tool".equals(role.asText()) && !message.path("tool_call_id").isTextual()) {
            throw ApiException.invalidRequest("Missing required parameter: '" + param + ".tool_call_id'.",
                    param + ".tool_call_id");
        }
    }

    private static boolean optionalBoolean(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw ApiException.invalidRequest("'" + field + "' must be a boolean.", field);
        }
        return value.asBoolean();
    }

    private static void optionalInteger(ObjectNode body, String field, long min, long max) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < min || value.asLong() > max) {
            throw ApiException.invalidRequest("'" + field + "' must be an integer from " + min + " to " + max + ".",
                    field, "integer_out_of_range");
        }
    }

    private static void optionalNumber(ObjectNode body, String field, double min, double max) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return;
        }
        if (!value.isNumber() || !(value.asDouble() >= min && value.asDouble() <= max)) {
            throw ApiException.invalidRequest("'" + field + "' must be a number from " + (int) min + " to " + (int) max + ".",
                    field, "decimal_out_of_range");
        }
    }

    private static String printable(String text) {
        String cleaned = text.replaceAll("\\p{Cntrl}", "?");
        return cleaned.length() > 100 ? cleaned.substring(0, 100) + "…" : cleaned;
    }
}
