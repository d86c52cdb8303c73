package org.aigateway.gateway.provider;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.ObjectMapper;

/** One entry under {@code providers:}; its {@code type} picks the implementation. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = OpenAiProviderFactory.class, name = "openai"),
        @JsonSubTypes.Type(value = AnthropicProviderFactory.class, name = "anthropic"),
        @JsonSubTypes.Type(value = MockProviderFactory.class, name = "mock")
})
public interface ProviderFactory {
    /** @param connections how many idle upstream connections to keep, and for how long */
    ChatProvider build(String name, ObjectMapper mapper, UpstreamConnectionsFactory connections);
}
