package org.aigateway.gateway.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

/** One entry under {@code models:}: which provider serves the model, under what upstream name, at what price. */
public class ModelRoute {
    @NotEmpty
    private String provider;

    private String upstreamModel;

    @Valid
    @NotNull
    private Pricing pricing = new Pricing();

    @JsonProperty
    public String getProvider() {
        return provider;
    }

    @JsonProperty
    public void setProvider(String provider) {
        this.provider = provider;
    }

    /** The name sent upstream; unset means the same name clients use. */
    @JsonProperty
    public String getUpstreamModel() {
        return upstreamModel;
    }

    @JsonProperty
    public void setUpstreamModel(String upstreamModel) {
        this.upstreamModel = upstreamModel;
    }

    @JsonProperty
    public Pricing getPricing() {
        return pricing;
    }

    @JsonProperty
    public void setPricing(Pricing pricing) {
        this.pricing = pricing;
    }
}
