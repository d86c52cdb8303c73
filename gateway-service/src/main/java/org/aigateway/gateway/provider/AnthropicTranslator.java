package org.aigateway.gateway.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aigateway.support.errors.ApiException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates between OpenAI's Chat Completions and Anthropic's Messages API: requests one way, answers, usage and
 * errors the other. Fields without a Messages API counterpart are left out.
 */
final class AnthropicTranslator {
    /** Anthropic's own status for an overloaded API; clients get 503 instead. */
    static final int OVERLOADED = 529;

    private final String provider;
    private final ObjectMapper mapper;
    private final long defaultMaxTokens;

    AnthropicTranslator(String provider, ObjectMapper mapper, long defaultMaxTokens) {
        this.provider = provider;
        this.mapper = mapper;
        this.defaultMaxTokens = defaultMaxTokens;
    }

    /** The Messages API request for a Chat Completions request; refuses what the Messages API cannot express. */
    ObjectNode request(ObjectNode chat) throws UpstreamException {
        ObjectNode messages = mapper.createObjectNode();
        messages.set("model", chat.get("model"));
        JsonNode limit = chat.hasNonNull("max_completion_tokens") ? chat.get("max_completion_tokens")
                : chat.get("max_tokens");
        messages.put("max_tokens", limit != null && limit.canConvertToLong() ? limit.asLong() : defaultMaxTokens);
        if (chat.path("n").canConvertToInt() && chat.path("n").asInt() > 1) {
            throw invalid("This model answers with one choice only; 'n' must be 1.", "n");
        }
        ArrayNode system = mapper.createArrayNode();
        ArrayNode turns = messages.putArray("messages");
        JsonNode chatMessages = chat.path("messages");
        for (int i = 0; i < chatMessages.size(); i++) {
            JsonNode message = chatMessages.get(i);
            String role = message.path("role").asText();
            switch (role) {
                case "system", "developer" -> textBlocks(message.get("content"), "messages[" + i + "].content")
                        .forEach(system::add);
                case "user" -> append(turns, "user", contentBlocks(message.get("content"), "messages[" + i + "].content"));
                case "assistant" -> append(turns, "assistant", assistantBlocks(message, i));
                case "tool" -> append(turns, "user", List.of(toolResult(message, i)));
                default -> throw invalid("Role '" + role + "' is not supported by this model.",
                        "messages[" + i + "].role");
            }
        }
        if (!system.isEmpty()) {
            messages.set("system", system);
        }
        copyNumber(chat, messages, "temperature");
        copyNumber(chat, messages, "top_p");
        JsonNode stop = chat.get("stop");
        if (stop != null && stop.isTextual()) {
            messages.putArray("stop_sequences").add(stop.asText());
        } else if (stop != null && stop.isArray() && !stop.isEmpty()) {
            messages.set("stop_sequences", stop);
        }
        if (chat.path("user").isTextual()) {
            messages.putObject("metadata").put("user_id", chat.path("user").asText());
        }
        if (chat.path("tools").isArray() && !chat.path("tools").isEmpty()) {
            ArrayNode tools = messages.putArray("tools");
            for (JsonNode tool : chat.path("tools")) {
                JsonNode function = tool.path("function");
                ObjectNode translated = tools.addObject().put("name", function.path("name").asText());
                if (function.path("description").isTextual()) {
                    translated.put("description", function.path("description").asText());
                }
                translated.set("input_schema", function.path("parameters").isObject() ? function.get("parameters")
                        : mapper.createObjectNode().put("type", "object"));
            }
            ObjectNode choice = toolChoice(chat.get("tool_choice"));
            if (chat.path("parallel_tool_calls").isBoolean() && !chat.path("parallel_tool_calls").asBoolean()) {
                choice.put("disable_parallel_tool_use", true);
            }
            messages.set("tool_choice", choice);
        }
        if (chat.path("stream").asBoolean(false)) {
            messages.put("stream", true);
        }
        return messages;
    }

    private ObjectNode toolChoice(JsonNode choice) {
        ObjectNode translated = mapper.createObjectNode();
        if (choice != null && choice.isObject()) {
            return translated.put("type", "tool").put("name", choice.path("function").path("name").asText());
        }
        String mode = choice == null || !choice.isTextual() ? "auto" : choice.asText();
        return translated.put("type", switch (mode) {
            case "required" -> "any";
            case "none" -> "none";
            default -> "auto";
        });
    }

    /** Adds a turn, merged into the previous one when both have the same role (the Messages API alternates). */
    private void append(ArrayNode turns, String role, List<ObjectNode> blocks) {
        JsonNode last = turns.isEmpty() ? null : turns.get(turns.size() - 1);
        ArrayNode content;
        if (last != null && last.path("role").asText().equals(role)) {
            content = (ArrayNode) last.get("content");
        } else {
            ObjectNode turn = turns.addObject().put("role", role);
            content = turn.putArray("content");
        }
        blocks.forEach(content::add);
    }

    private List<ObjectNode> textBlocks(JsonNode content, String param) throws UpstreamException {
        List<ObjectNode> blocks = contentBlocks(content, param);
        for (ObjectNode block : blocks) {
            if (!block.path("type").asText().equals("text")) {
                throw invalid("Only text is supported in system messages.", param);
            }
        }
        return blocks;
    }

    private List<ObjectNode> contentBlocks(JsonNode content, String param) throws UpstreamException {
        if (content == null || content.isNull()) {
            return List.of();
        }
        if (content.isTextual()) {
            return content.asText().isEmpty() ? List.of() : List.of(text(content.asText()));
        }
        if (!content.isArray()) {
            throw invalid("Message content must be a string or an array of content parts.", param);
        }
        List<ObjectNode> blocks = new ArrayList<>();
        for (int i = 0; i < content.size(); i++) {
            JsonNode part = content.get(i);
            switch (part.path("type").asText()) {
                case "text" -> {
                    if (!part.path("text").asText().isEmpty()) {
                        blocks.add(text(part.path("text").asText()));
                    }
                }
                case "image_url" -> blocks.add(image(part.path("image_url").path("url").asText(),
                        param + "[" + i + "]"));
                default -> throw invalid("Content parts of type '" + part.path("type").asText()
                        + "' are not supported by this model.", param + "[" + i + "].type");
            }
        }
        return blocks;
    }

    private ObjectNode text(String text) {
        return mapper.createObjectNode().put("type", "text").put("text", text);
    }

    private ObjectNode image(String url, String param) throws UpstreamException {
        ObjectNode image = mapper.createObjectNode().put("type", "image");
        ObjectNode source = image.putObject("source");
        if (url.startsWith("data:")) {
            int comma = url.indexOf(',');
            String header = comma < 0 ? "" : url.substring(5, comma);
            if (!header.endsWith(";base64")) {
                throw invalid("Images must be URLs or base64 data URLs.", param);
            }
            source.put("type", "base64")
                    .put("media_type", header.substring(0, header.length() - ";base64".length()))
                    .put("data", url.substring(comma + 1));
        } else {
            source.put("type", "url").put("url", url);
        }
        return image;
    }

    private List<ObjectNode> assistantBlocks(JsonNode message, int index) throws UpstreamException {
        List<ObjectNode> blocks = new ArrayList<>(
                contentBlocks(message.get("content"), "messages[" + index + "].content"));
        JsonNode calls = message.path("tool_calls");
        for (int i = 0; i < calls.size(); i++) {
            JsonNode function = calls.get(i).path("function");
            String arguments = function.path("arguments").asText("");
            JsonNode input;
            try {
                input = arguments.isBlank() ? mapper.createObjectNode() : mapper.readTree(arguments);
            } catch (IOException e) {
                throw invalid("Tool call arguments must be JSON.",
                        "messages[" + index + "].tool_calls[" + i + "].function.arguments");
            }
            ObjectNode use = mapper.createObjectNode().put("type", "tool_use")
                    .put("id", calls.get(i).path("id").asText()).put("name", function.path("name").asText());
            use.set("input", input);
            blocks.add(use);
        }
        return blocks;
    }

    private ObjectNode toolResult(JsonNode message, int index) throws UpstreamException {
        ObjectNode result = mapper.createObjectNode().put("type", "tool_result")
                .put("tool_use_id", message.path("tool_call_id").asText());
        ArrayNode content = result.putArray("content");
        contentBlocks(message.get("content"), "messages[" + index + "].content").forEach(content::add);
        return result;
    }

    private static void copyNumber(ObjectNode from, ObjectNode to, String field) {
        if (from.path(field).isNumber()) {
            to.set(field, from.get(field));
        }
    }

    private UpstreamException invalid(String message, String param) {
        return new UpstreamException(ApiException.invalidRequest(message, param, "unsupported_value"), null);
    }

    /** A {@code chat.completion} for a Messages API answer. */
    ObjectNode completion(JsonNode message, int status) throws UpstreamException {
        if (message == null || !message.isObject() || !message.path("content").isArray()) {
            throw UpstreamException.badResponse(provider, status, "expected a message object");
        }
        StringBuilder text = new StringBuilder();
        boolean hasText = false;
        ArrayNode toolCalls = mapper.createArrayNode();
        for (JsonNode block : message.path("content")) {
            switch (block.path("type").asText()) {
                case "text" -> {
                    text.append(block.path("text").asText());
                    hasText = true;
                }
                case "tool_use" -> {
                    ObjectNode call = toolCalls.addObject().put("id", block.path("id").asText()).put("type", "function");
                    call.putObject("function").put("name", block.path("name").asText())
                            .put("arguments", json(block.path("input")));
                }
                default -> {
                    // Thinking and server tool blocks have no Chat Completions counterpart.
                }
            }
        }
        ObjectNode body = mapper.createObjectNode();
        body.put("id", message.path("id").asText());
        body.put("object", "chat.completion");
        body.put("created", System.currentTimeMillis() / 1000);
        body.put("model", message.path("model").asText());
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode reply = choice.putObject("message");
        reply.put("role", "assistant");
        if (hasText) {
            reply.put("content", text.toString());
        } else {
            reply.putNull("content");
        }
        reply.putNull("refusal");
        if (!toolCalls.isEmpty()) {
            reply.set("tool_calls", toolCalls);
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(message.path("stop_reason").asText(null)));
        body.set("usage", usageNode(usage(message.path("usage"))));
        return body;
    }

    /** Anthropic's usage: input tokens exclude the cache reads and writes, which OpenAI counts as prompt tokens. */
    TokenUsage usage(JsonNode usage) {
        long input = nonNegative(usage.path("input_tokens"));
        long cacheRead = nonNegative(usage.path("cache_read_input_tokens"));
        long cacheWrite = nonNegative(usage.path("cache_creation_input_tokens"));
        long output = nonNegative(usage.path("output_tokens"));
        long prompt = input + cacheRead + cacheWrite;
        return new TokenUsage(prompt, output, prompt + output, cacheRead, cacheWrite);
    }

    ObjectNode usageNode(TokenUsage usage) {
        ObjectNode node = mapper.createObjectNode();
        node.put("prompt_tokens", usage.promptTokens());
        node.put("completion_tokens", usage.completionTokens());
        node.put("total_tokens", usage.totalTokens());
        node.putObject("prompt_tokens_details").put("cached_tokens", usage.cachedTokens());
        node.putObject("completion_tokens_details").put("reasoning_tokens", 0);
        return node;
    }

    static String finishReason(String stopReason) {
        if (stopReason == null) {
            return "stop";
        }
        return switch (stopReason) {
            case "max_tokens", "model_context_window_exceeded" -> "length";
            case "tool_use" -> "tool_calls";
            case "refusal" -> "content_filter";
            default -> "stop";
        };
    }

    /** The failure an error answer stands for; Anthropic's overloaded 529 becomes a 503 clients retry on. */
    UpstreamException rejected(int status, byte[] body) {
        JsonNode error = null;
        try {
            JsonNode parsed = body.length == 0 ? null : mapper.readTree(body);
            error = parsed == null ? null : parsed.path("error");
        } catch (IOException e) {
            // Not JSON (a proxy's HTML page): only the status is known.
        }
        return rejected(status, error);
    }

    /** The failure an {@code error} event in a stream stands for, as if the same error had come as an answer. */
    UpstreamException errorEvent(JsonNode error) {
        int status = switch (error.path("type").asText()) {
            case "invalid_request_error" -> 400;
            case "authentication_error" -> 401;
            case "permission_error" -> 403;
            case "not_found_error" -> 404;
            case "request_too_large" -> 413;
            case "rate_limit_error" -> 429;
            case "overloaded_error" -> OVERLOADED;
            default -> 500;
        };
        return rejected(status, error);
    }

    private UpstreamException rejected(int status, JsonNode error) {
        String message = error != null && error.path("message").isTextual() ? error.path("message").asText() : null;
        String code = error != null && error.path("type").isTextual() ? error.path("type").asText() : null;
        if (status == OVERLOADED) {
            UpstreamException overloaded = UpstreamException.rejected(provider, 503, message, null, null, code);
            return new UpstreamException(overloaded.clientError(), OVERLOADED);
        }
        return UpstreamException.rejected(provider, status, message, null, null, code);
    }

    private String json(JsonNode node) {
        try {
            return mapper.writeValueAsString(node.isMissingNode() ? mapper.createObjectNode() : node);
        } catch (IOException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    private static long nonNegative(JsonNode value) {
        return value.canConvertToLong() ? Math.max(0, value.asLong()) : 0;
    }
}
