package org.aigateway.gateway.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aigateway.gateway.provider.TokenUsage;

import java.util.Map;
import java.util.TreeMap;

/**
 * Puts a streamed answer back together from its {@code chat.completion.chunk}s, so history stores a streamed request
 * the same way as a non-streamed one: one {@code chat.completion} object.
 */
final class StreamedAnswer {
    private final ObjectMapper mapper;
    private final Map<Integer, Choice> choices = new TreeMap<>();
    private String id;
    private long created;
    private String model;
    private String systemFingerprint;
    private long contentDeltas;

    StreamedAnswer(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** Adds a chunk; returns whether it carried generated content (text, refusal or tool-call arguments). */
    boolean add(JsonNode chunk) {
        if (id == null && chunk.path("id").isTextual()) {
            id = chunk.path("id").asText();
            created = chunk.path("created").asLong();
            model = chunk.path("model").asText(null);
        }
        if (chunk.path("system_fingerprint").isTextual()) {
            systemFingerprint = chunk.path("system_fingerprint").asText();
        }
        boolean generated = false;
        for (JsonNode delta : chunk.path("choices")) {
            Choice choice = choices.computeIfAbsent(delta.path("index").asInt(0), index -> new Choice());
            generated |= choice.add(delta);
        }
        if (generated) {
            contentDeltas++;
        }
        return generated;
    }

    /** Chunks that carried generated content: about one token each with OpenAI and Anthropic. */
    long contentDeltas() {
        return contentDeltas;
    }

    /** The whole answer as OpenAI's non-streaming {@code chat.completion} object. */
    ObjectNode toCompletion(TokenUsage usage) {
        ObjectNode body = mapper.createObjectNode();
        body.put("id", id);
        body.put("object", "chat.completion");
        body.put("created", created);
        body.put("model", model);
        ArrayNode array = body.putArray("choices");
        choices.forEach((index, choice) -> array.add(choice.toJson(index)));
        ObjectNode usageNode = body.putObject("usage");
        usageNode.put("prompt_tokens", usage.promptTokens());
        usageNode.put("completion_tokens", usage.completionTokens());
        usageNode.put("total_tokens", usage.totalTokens());
        usageNode.putObject("prompt_tokens_details").put("cached_tokens", usage.cachedTokens());
        if (systemFingerprint != null) {
            body.put("system_fingerprint", systemFingerprint);
        }
        return body;
    }

    private final class Choice {
        private String role = "assistant";
        private final StringBuilder content = new StringBuilder();
        private StringBuilder refusal;
        private final Map<Integer, ObjectNode> toolCalls = new TreeMap<>();
        private String finishReason;

        boolean add(JsonNode choice) {
            JsonNode delta = choice.path("delta");
            if (delta.path("role").isTextual()) {
                role = delta.path("role").asText();
            }
            boolean generated = false;
            if (delta.path("content").isTextual() && !delta.path("content").asText().isEmpty()) {
                content.append(delta.path("content").asText());
                generated = true;
            }
            if (delta.path("refusal").isTextual() && !delta.path("refusal").asText().isEmpty()) {
                (refusal == null ? refusal = new StringBuilder() : refusal).append(delta.path("refusal").asText());
                generated = true;
            }
            for (JsonNode call : delta.path("tool_calls")) {
                generated |= addToolCall(call);
            }
            if (choice.path("finish_reason").isTextual()) {
                finishReason = choice.path("finish_reason").asText();
            }
            return generated;
        }

        /** Tool calls stream as fragments keyed by index: id, name and type once, arguments in pieces. */
        private boolean addToolCall(JsonNode fragment) {
            ObjectNode call = toolCalls.computeIfAbsent(fragment.path("index").asInt(0), index -> {
                ObjectNode created = mapper.createObjectNode();
                created.put("type", "function");
                created.putObject("function").put("name", "").put("arguments", "");
                return created;
            });
            if (fragment.path("id").isTextual()) {
                call.put("id", fragment.path("id").asText());
            }
            if (fragment.path("type").isTextual()) {
                call.put("type", fragment.path("type").asText());
            }
            ObjectNode function = (ObjectNode) call.get("function");
            JsonNode part = fragment.path("function");
            if (part.path("name").isTextual()) {
                function.put("name", function.path("name").asText() + part.path("name").asText());
            }
            String arguments = part.path("arguments").asText("");
            function.put("arguments", function.path("arguments").asText() + arguments);
            return !arguments.isEmpty();
        }

        ObjectNode toJson(int index) {
            ObjectNode choice = mapper.createObjectNode();
            choice.put("index", index);
            ObjectNode message = choice.putObject("message");
            message.put("role", role);
            if (content.length() > 0 || toolCalls.isEmpty()) {
                message.put("content", content.toString());
            } else {
                message.putNull("content");
            }
            if (refusal != null) {
                message.put("refusal", refusal.toString());
            }
            if (!toolCalls.isEmpty()) {
                ArrayNode calls = message.putArray("tool_calls");
                toolCalls.values().forEach(calls::add);
            }
            choice.put("finish_reason", finishReason);
            return choice;
        }
    }
}
