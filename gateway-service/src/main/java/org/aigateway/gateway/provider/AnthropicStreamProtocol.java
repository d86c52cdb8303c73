package org.aigateway.gateway.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Anthropic's streamed message as OpenAI chunks: {@code message_start} gives the role chunk, text and tool input
 * deltas give content and tool call chunks, {@code message_delta} the finish chunk, {@code message_stop} the usage
 * chunk and the end. Token counts are cumulative: the last count of each kind wins.
 */
final class AnthropicStreamProtocol implements StreamProtocol {
    private final String provider;
    private final AnthropicTranslator translator;
    private final ObjectMapper mapper;
    private final boolean includeUsage;
    private final long created = System.currentTimeMillis() / 1000;
    // Content block index → OpenAI tool call index, which counts tool calls only.
    private final Map<Integer, Integer> toolCalls = new HashMap<>();
    // Anthropic's own usage fields as last reported.
    private final ObjectNode usage;

    private String id;
    private String model;
    private boolean finished;

    AnthropicStreamProtocol(String provider, AnthropicTranslator translator, ObjectMapper mapper,
                            boolean includeUsage) {
        this.provider = provider;
        this.translator = translator;
        this.mapper = mapper;
        this.includeUsage = includeUsage;
        this.usage = mapper.createObjectNode();
    }

    @Override
    public boolean onEvent(SseEventReader.Event event, Output output) throws UpstreamException {
        JsonNode data;
        try {
            data = mapper.readTree(event.data());
        } catch (IOException e) {
            throw UpstreamException.badResponse(provider, 200, "a stream event is not JSON");
        }
        if (data == null || !data.isObject()) {
            throw UpstreamException.badResponse(provider, 200, "a stream event is not a JSON object");
        }
        String type = data.path("type").asText(event.name());
        if (type.equals("error")) {
            throw translator.errorEvent(data.path("error"));
        }
        if (type.equals("message_start")) {
            JsonNode message = data.path("message");
            id = message.path("id").asText();
            model = message.path("model").asText();
            addUsage(message.path("usage"));
            ObjectNode delta = mapper.createObjectNode().put("role", "assistant").put("content", "");
            delta.putNull("refusal");
            output.chunk(chunk(delta, null));
            return false;
        }
        if (type.equals("ping")) {
            return false;
        }
        if (id == null) {
            throw UpstreamException.badResponse(provider, 200, "'" + type + "' came before 'message_start'");
        }
        switch (type) {
            case "content_block_start" -> {
                JsonNode block = data.path("content_block");
                if (block.path("type").asText().equals("tool_use")) {
                    int index = toolCalls.size();
                    toolCalls.put(data.path("index").asInt(), index);
                    ObjectNode call = toolCall(index).put("id", block.path("id").asText()).put("type", "function");
                    call.putObject("function").put("name", block.path("name").asText()).put("arguments", "");
                    output.chunk(chunk(toolCallDelta(call), null));
                } else if (block.path("type").asText().equals("text") && !block.path("text").asText().isEmpty()) {
                    output.chunk(chunk(mapper.createObjectNode().put("content", block.path("text").asText()), null));
                }
            }
            case "content_block_delta" -> {
                JsonNode delta = data.path("delta");
                String deltaType = delta.path("type").asText();
                if (deltaType.equals("text_delta")) {
                    output.chunk(chunk(mapper.createObjectNode().put("content", delta.path("text").asText()), null));
                } else if (deltaType.equals("input_json_delta") && toolCalls.containsKey(data.path("index").asInt())) {
                    ObjectNode call = toolCall(toolCalls.get(data.path("index").asInt()));
                    call.putObject("function").put("arguments", delta.path("partial_json").asText());
                    output.chunk(chunk(toolCallDelta(call), null));
                }
            }
            case "message_delta" -> {
                addUsage(data.path("usage"));
                if (!finished) {
                    finished = true;
                    output.chunk(chunk(mapper.createObjectNode(),
                            AnthropicTranslator.finishReason(data.path("delta").path("stop_reason").asText(null))));
                }
            }
            case "message_stop" -> {
                if (!finished) {
                    finished = true;
                    output.chunk(chunk(mapper.createObjectNode(), "stop"));
                }
                TokenUsage total = translator.usage(usage);
                if (includeUsage) {
                    ObjectNode chunk = header();
                    chunk.putArray("choices");
                    chunk.set("usage", translator.usageNode(total));
                    output.chunk(chunk);
                }
                output.usage(total);
                return true;
            }
            default -> {
                // content_block_stop, and event types added later: nothing to pass on.
            }
        }
        return false;
    }

    @Override
    public UpstreamException rejected(int status, byte[] body) {
        return translator.rejected(status, body);
    }

    private void addUsage(JsonNode counts) {
        counts.fields().forEachRemaining(field -> {
            if (field.getValue().canConvertToLong()) {
                usage.set(field.getKey(), field.getValue());
            }
        });
    }

    private ObjectNode toolCall(int index) {
        return mapper.createObjectNode().put("index", index);
    }

    private ObjectNode toolCallDelta(ObjectNode call) {
        ObjectNode delta = mapper.createObjectNode();
        delta.putArray("tool_calls").add(call);
        return delta;
    }

    private ObjectNode chunk(ObjectNode delta, String finishReason) {
        ObjectNode chunk = header();
        ObjectNode choice = chunk.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("delta", delta);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        if (includeUsage) {
            chunk.putNull("usage");
        }
        return chunk;
    }

    private ObjectNode header() {
        ObjectNode chunk = mapper.createObjectNode();
        chunk.put("id", id);
        chunk.put("object", "chat.completion.chunk");
        chunk.put("created", created);
        chunk.put("model", model);
        return chunk;
    }
}
