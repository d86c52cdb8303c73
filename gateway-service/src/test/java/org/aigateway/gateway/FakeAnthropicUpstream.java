package org.aigateway.gateway;

/** A local stand-in for Anthropic's Messages API at {@code /v1/messages}. */
public final class FakeAnthropicUpstream extends FakeUpstream {
    private FakeAnthropicUpstream() {
        super("/v1/messages");
    }

    public static FakeAnthropicUpstream start() {
        return new FakeAnthropicUpstream();
    }

    /** The base URL a provider of type {@code anthropic} is configured with. */
    public String baseUrl() {
        return root();
    }

    /** One named event as Anthropic frames it: its JSON on one line. */
    public static String event(String name, String json) {
        return "event: " + name + "\ndata: " + json.replace("\n", " ") + "\n\n";
    }

    /** A Messages API answer with text content, a stop reason and usage including prompt cache reads and writes. */
    public static String message(String text, String stopReason, long input, long cacheRead, long cacheWrite,
                                 long output) {
        return """
                {"id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant",
                 "model": "claude-sonnet-4-5-20250929",
                 "content": [{"type": "text", "text": %s}],
                 "stop_reason": "%s", "stop_sequence": null,
                 "usage": {"input_tokens": %d, "cache_read_input_tokens": %d, "cache_creation_input_tokens": %d,
                           "output_tokens": %d, "service_tier": "standard"}}"""
                .formatted(quoted(text), stopReason, input, cacheRead, cacheWrite, output);
    }

    /** An error answer body as Anthropic sends it. */
    public static String error(String type, String message) {
        return """
                {"type": "error", "error": {"type": "%s", "message": %s}, "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"}"""
                .formatted(type, quoted(message));
    }

    private static String quoted(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
