package org.aigateway.gateway;

import java.util.ArrayList;
import java.util.List;

/** A local stand-in for an OpenAI-compatible API at {@code /v1/chat/completions}. */
public final class FakeOpenAiUpstream extends FakeUpstream {
    private FakeOpenAiUpstream() {
        super("/v1/chat/completions");
    }

    public static FakeOpenAiUpstream start() {
        return new FakeOpenAiUpstream();
    }

    /** The base URL a provider of type {@code openai} is configured with. */
    public String baseUrl() {
        return root() + "/v1";
    }

    /** Each JSON object as one {@code data:} event, then {@code data: [DONE]}, as OpenAI frames a stream. */
    public static List<String> sse(List<String> jsonEvents) {
        List<String> events = new ArrayList<>();
        jsonEvents.forEach(json -> events.add("data: " + json + "\n\n"));
        events.add("data: [DONE]\n\n");
        return events;
    }
}
