package org.aigateway.gateway.history;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides what of a request and its response is kept in history: everything, only its shape and numbers, or
 * everything with configured patterns (e-mail addresses, card numbers, ...) blanked out; anything that would be
 * stored larger than the limit is replaced by its metadata marked {@code "truncated": true}. Always returns JSON text
 * that PostgreSQL's jsonb accepts.
 */
public class HistoryContent {
    /** How much of the content is stored. */
    public enum Mode {
        @JsonProperty("full") FULL,
        @JsonProperty("metadata") METADATA,
        @JsonProperty("redacted") REDACTED
    }

    public static final String REDACTED = "[REDACTED]";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool", "function");
    /** Request parameters whose string values are one of a few fixed words, never free text. */
    private static final Set<String> WORD_PARAMETERS = Set.of("reasoning_effort", "service_tier", "tool_choice",
            "verbosity");
    /** Names kept in metadata; anything else a client chose as a name could be text. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    /** Scalar fields of a completion that identify it rather than carry its content. */
    private static final List<String> RESPONSE_FIELDS = List.of("id", "object", "created", "model",
            "system_fingerprint", "service_tier");

    private final Mode mode;
    private final List<Pattern> redactPatterns;
    private final long maxStoredBytes;
    private final ObjectWriter json;

    public HistoryContent(Mode mode, List<Pattern> redactPatterns, long maxStoredBytes, ObjectMapper mapper) {
        this.mode = mode;
        this.redactPatterns = List.copyOf(redactPatterns);
        this.maxStoredBytes = maxStoredBytes;
        this.json = JsonbSafeWriter.of(mapper);
    }

    /** The JSON text to store for a request body; null for none. */
    public String request(JsonNode body) {
        return store(body, HistoryContent::requestMetadata);
    }

    /** The JSON text to store for a response body; null for none. */
    public String response(JsonNode body) {
        return store(body, HistoryContent::responseMetadata);
    }

    private String store(JsonNode body, Function<JsonNode, ObjectNode> metadata) {
        if (body == null || body.isMissingNode()) {
            return null;
        }
        String text = write(switch (mode) {
            case FULL -> body;
            case METADATA -> metadata.apply(body);
            case REDACTED -> redact(body);
        });
        long bytes = utf8Length(text);
        return bytes <= maxStoredBytes ? text : truncated(bytes, metadata.apply(body));
    }

    /**
     * The body's metadata marked truncated; if even that is too large, without its per-message or per-choice lists;
     * failing that, the mark alone.
     */
    private String truncated(long originalBytes, ObjectNode metadata) {
        ObjectNode mark = NODES.objectNode().put("truncated", true).put("original_bytes", originalBytes);
        String full = write(mark.deepCopy().setAll(metadata));
        if (utf8Length(full) <= maxStoredBytes) {
            return full;
        }
        ObjectNode compact = metadata.deepCopy();
        compact.remove(List.of("messages", "choices"));
        String counts = write(mark.deepCopy().setAll(compact));
        return utf8Length(counts) <= maxStoredBytes ? counts : write(mark);
    }

    private JsonNode redact(JsonNode node) {
        if (node.isTextual()) {
            return NODES.textNode(redact(node.textValue()));
        }
        if (node.isObject()) {
            ObjectNode copy = NODES.objectNode();
            node.fields().forEachRemaining(field -> copy.set(field.getKey(), redact(field.getValue())));
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = NODES.arrayNode(node.size());
            node.forEach(element -> copy.add(redact(element)));
            return copy;
        }
        return node;
    }

    private String redact(String text) {
        String result = text;
        for (Pattern pattern : redactPatterns) {
            result = pattern.matcher(result).replaceAll(Matcher.quoteReplacement(REDACTED));
        }
        return result;
    }

    /**
     * The model, the parameters that are numbers, booleans or fixed words, and per message its role and how many
     * characters of text it had; no text at all.
     */
    static ObjectNode requestMetadata(JsonNode body) {
        ObjectNode metadata = NODES.objectNode();
        if (!body.isObject()) {
            return metadata;
        }
        if (body.path("model").isTextual()) {
            metadata.put("model", body.get("model").textValue());
        }
        ObjectNode parameters = metadata.putObject("parameters");
        for (Map.Entry<String, JsonNode> field : (Iterable<Map.Entry<String, JsonNode>>) body::fields) {
            String name = field.getKey();
            JsonNode value = field.getValue();
            if (name.equals("model") || name.equals("messages") || !NAME.matcher(name).matches()) {
                continue;
            }
            if (value.isTextual() && WORD_PARAMETERS.contains(name)) {
                parameters.set(name, value);
            } else if (value.isObject()) {
                ObjectNode numbers = numbersOnly(value);
                if (name.equals("response_format") && value.path("type").isTextual()) {
                    numbers.set("type", value.get("type"));
                }
                if (!numbers.isEmpty()) {
                    parameters.set(name, numbers);
                }
            } else if (isNumberOrBoolean(value)) {
                parameters.set(name, value);
            }
        }
        if (body.path("tools").isArray()) {
            metadata.put("tool_count", body.get("tools").size());
        }
        JsonNode messages = body.path("messages");
        if (messages.isArray()) {
            metadata.put("message_count", messages.size());
            ArrayNode summaries = metadata.putArray("messages");
            for (JsonNode message : messages) {
                ObjectNode summary = summaries.addObject();
                String role = message.path("role").asText("");
                summary.put("role", ROLES.contains(role) ? role : "unknown");
                summarizeContent(message, summary);
            }
        }
        return metadata;
    }

    /** The completion's identity, its usage numbers and per choice how it finished and how long its text was. */
    static ObjectNode responseMetadata(JsonNode body) {
        ObjectNode metadata = NODES.objectNode();
        if (!body.isObject()) {
            return metadata;
        }
        for (String field : RESPONSE_FIELDS) {
            JsonNode value = body.path(field);
            if (value.isTextual() || value.isNumber()) {
                metadata.set(field, value);
            }
        }
        if (body.path("usage").isObject()) {
            metadata.set("usage", numbersOnly(body.get("usage")));
        }
        JsonNode error = body.path("error");
        if (error.isObject()) {
            ObjectNode kind = metadata.putObject("error");
            for (String field : List.of("type", "code")) {
                if (error.path(field).isTextual() || error.path(field).isNumber()) {
                    kind.set(field, error.get(field));
                }
            }
        }
        JsonNode choices = body.path("choices");
        if (choices.isArray()) {
            metadata.put("choice_count", choices.size());
            ArrayNode summaries = metadata.putArray("choices");
            for (JsonNode choice : choices) {
                ObjectNode summary = summaries.addObject();
                if (choice.path("index").isIntegralNumber()) {
                    summary.set("index", choice.get("index"));
                }
                if (choice.path("finish_reason").isTextual()) {
                    summary.set("finish_reason", choice.get("finish_reason"));
                }
                // A streamed completion carries its text in "delta" rather than "message".
                JsonNode message = choice.has("message") ? choice.path("message") : choice.path("delta");
                String role = message.path("role").asText("");
                if (ROLES.contains(role)) {
                    summary.put("role", role);
                }
                summarizeContent(message, summary);
                if (message.path("refusal").isTextual()) {
                    summary.put("refusal_chars", characters(message.get("refusal").textValue()));
                }
            }
        }
        return metadata;
    }

    /** How many characters of text a message's content had, in how many parts, and how many tool calls it made. */
    private static void summarizeContent(JsonNode message, ObjectNode summary) {
        JsonNode content = message.path("content");
        if (content.isTextual()) {
            summary.put("content_chars", characters(content.textValue()));
        } else if (content.isArray()) {
            long chars = 0;
            for (JsonNode part : content) {
                if (part.path("text").isTextual()) {
                    chars += characters(part.get("text").textValue());
                }
            }
            summary.put("content_chars", chars);
            summary.put("content_parts", content.size());
        } else {
            summary.put("content_chars", 0);
        }
        if (message.path("tool_calls").isArray()) {
            summary.put("tool_calls", message.get("tool_calls").size());
        }
    }

    private static ObjectNode numbersOnly(JsonNode object) {
        ObjectNode numbers = NODES.objectNode();
        object.fields().forEachRemaining(field -> {
            JsonNode value = field.getValue();
            if (!NAME.matcher(field.getKey()).matches()) {
                return;
            }
            if (isNumberOrBoolean(value)) {
                numbers.set(field.getKey(), value);
            } else if (value.isObject()) {
                ObjectNode nested = numbersOnly(value);
                if (!nested.isEmpty()) {
                    numbers.set(field.getKey(), nested);
                }
            }
        });
        return numbers;
    }

    private static boolean isNumberOrBoolean(JsonNode value) {
        return value.isNumber() || value.isBoolean();
    }

    private static long characters(String text) {
        return text.codePointCount(0, text.length());
    }

    private static long utf8Length(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    private String write(JsonNode node) {
        try {
            return json.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }
}
