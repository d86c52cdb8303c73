package org.aigateway.gateway.model;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** One model as OpenAI's {@code /v1/models} describes it. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ModelInfo(String id, String object, long created, String ownedBy) {
    public static final String OBJECT = "model";
}
