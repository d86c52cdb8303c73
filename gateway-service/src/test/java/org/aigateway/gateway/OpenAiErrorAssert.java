package org.aigateway.gateway;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Checks that a response is an error in OpenAI's shape that gives nothing of the server's insides away. */
final class OpenAiErrorAssert {
    private OpenAiErrorAssert() {
    }

    /** Asserts the status and the shape, and returns the {@code error} object for further checks. */
    static JsonNode assertOpenAiError(GatewayClient client, HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as("status of response %s", response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        JsonNode body = client.json(response);
        assertThat(fieldNames(body)).containsExactly("error");
        JsonNode error = body.get("error");
        assertThat(fieldNames(error)).containsExactlyInAnyOrder("message", "type", "param", "code");
        assertThat(error.get("message").isTextual()).isTrue();
        assertThat(error.get("message").asText()).isNotBlank();
        assertThat(error.get("type").isTextual()).isTrue();
        assertThat(error.get("param").isNull() || error.get("param").isTextual()).isTrue();
        assertThat(error.get("code").isNull() || error.get("code").isTextual()).isTrue();
        assertThat(response.body()).doesNotContain("\tat ", "Caused by", "java.", "org.", "com.", "jackson", "jdbi",
                "postgresql", "SQL");
        return error;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
