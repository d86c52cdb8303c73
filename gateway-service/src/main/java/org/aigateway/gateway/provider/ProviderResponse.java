package org.aigateway.gateway.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** A completed upstream answer: the body in OpenAI's format and the token usage it reported. */
public record ProviderResponse(ObjectNode body, TokenUsage usage) {
}
