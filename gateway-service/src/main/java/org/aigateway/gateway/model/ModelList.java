package org.aigateway.gateway.model;

import java.util.List;

/** The body of {@code GET /v1/models}: OpenAI's list envelope around the configured models. */
public record ModelList(String object, List<ModelInfo> data) {
    public ModelList(List<ModelInfo> data) {
        this("list", data);
    }
}
