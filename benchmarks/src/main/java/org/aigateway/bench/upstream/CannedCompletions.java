package org.aigateway.bench.upstream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The mock upstream's one fixed answer, in OpenAI's two shapes: a {@code chat.completion} object, and the same answer
 * as {@code chat.completion.chunk} server-sent events ending in {@code data: [DONE]}. Built once, served as bytes.
 */
final class CannedCompletions {
    static final String MODEL = "gpt-4o-mini-2024-07-18";
    private static final String ID = "chatcmpl-bench";
    private static final long CREATED = 1_735_689_600L;
    private static final int PROMPT_TOKENS = 14;

    private final ObjectMapper mapper = new ObjectMapper();
    private final byte[] completion;
    private final List<byte[]> contentEvents;
    private final byte[] endWithUsage;
    private final byte[] endWithoutUsage;

    /** @param chunks how many content chunks a stream has; the non-streamed answer carries the same words */
    CannedCompletions(int chunks) {
        List<String> words = new ArrayList<>(chunks);
        for (int i = 1; i <= chunks; i++) {
            words.add("word" + i + " ");
        }
        ObjectNode usage = usage(chunks);

        ObjectNode message = mapper.createObjectNode().put("role", "assistant").put("content", String.join("", words));
        ObjectNode answer = envelope("chat.completion");
        answer.putArray("choices").addObject().put("index", 0).<ObjectNode>set("message", message)
                .putNull("logprobs").put("finish_reason", "stop");
        answer.set("usage", usage);
        answer.putNull("system_fingerprint");
        completion = bytes(answer.toString());

        contentEvents = new ArrayList<>(chunks);
        for (int i = 0; i < chunks; i++) {
            ObjectNode delta = mapper.createObjectNode();
            if (i == 0) {
                delta.put("role", "assistant");
            }
            delta.put("content", words.get(i));
            contentEvents.add(event(chunk(delta, null).toString()));
        }
        ObjectNode usageChunk = envelope("chat.completion.chunk");
        usageChunk.putArray("choices");
        usageChunk.set("usage", usage);
        String stop = "data: " + chunk(mapper.createObjectNode(), "stop") + "\n\n";
        endWithoutUsage = bytes(stop + "data: [DONE]\n\n");
        endWithUsage = bytes(stop + "data: " + usageChunk + "\n\n" + "data: [DONE]\n\n");
    }

    byte[] completion() {
        return completion;
    }

    /** The event carrying content chunk {@code index} (0-based). */
    byte[] contentEvent(int index) {
        return contentEvents.get(index);
    }

    int contentChunks() {
        return contentEvents.size();
    }

    /** The finishing chunk, the usage chunk when the client asked for {@code stream_options.include_usage}, [DONE]. */
    byte[] end(boolean includeUsage) {
        return includeUsage ? endWithUsage : endWithoutUsage;
    }

    private ObjectNode chunk(ObjectNode delta, String finishReason) {
        ObjectNode chunk = envelope("chat.completion.chunk");
        ArrayNode choices = chunk.putArray("choices");
        ObjectNode choice = choices.addObject().put("index", 0);
        choice.set("delta", delta);
        choice.putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return chunk;
    }

    private ObjectNode envelope(String object) {
        return mapper.createObjectNode().put("id", ID).put("object", object).put("created", CREATED).put("model", MODEL);
    }

    private ObjectNode usage(int completionTokens) {
        return mapper.createObjectNode().put("prompt_tokens", PROMPT_TOKENS).put("completion_tokens", completionTokens)
                .put("total_tokens", PROMPT_TOKENS + completionTokens);
    }

    private static byte[] event(String json) {
        return bytes("data: " + json + "\n\n");
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
