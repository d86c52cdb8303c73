package org.aigateway.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Checks that a response is an error in OpenAI's shape that gives nothing of the server's insides away. */
final class OpenAiErrorAssert {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private OpenAiErrorAssert() {
    }

    /** Asserts the status and the shape, and returns the {@code error} object for further checks. */
    static JsonNode assertOpenAiError(GatewayClient client, HttpResponse<String> response, int status) {
        return assertOpenAiError(response.statusCode(), response.headers().firstValue("Content-Type"),
                response.body(), status);
    }

    static JsonNode assertOpenAiError(RawHttp.Response response, int status) {
        return assertOpenAiError(response.status(), response.header("Content-Type"), response.text(), status);
    }

    private static JsonNode assertOpenAiError(int actualStatus, Optional<String> contentType, String text,
                                              int status) {
        assertThat(actualStatus).as("status of response %s", text).isEqualTo(status);
        assertThat(contentType).as("Content-Type of %s", text)
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        JsonNode body = json(text);
        assertThat(fieldNames(body)).containsExactly("error");
        JsonNode error = body.get("error");
        assertThat(fieldNames(error)).containsExactlyInAnyOrder("message", "type", "param", "code");
        assertThat(error.get("message").isTextual()).isTrue();
        assertThat(error.get("message").asText()).isNotBlank();
        assertThat(error.get("type").isTextual()).isTrue();
        assertThat(error.get("param").isNull() || error.get("param").isTextual()).isTrue();
        assertThat(error.get("code").isNull() || error.get("code").isTextual()).isTrue();
        assertThat(text).doesNotContain("\tat ", "Caused by", "java.", "org.", "com.", "jackson", "jdbi", "postgresql",
                "SQL");
        return error;
    }

    private static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("response is not JSON: " + text, e);
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
