package org.aigateway.analytics.reconcile;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.db.DataSourceFactory;
import jakarta.validation.Valid;

/** The {@code reconcile:} block, read only by the {@code reconcile} command: where the gateway's history lives. */
public class ReconcileFactory {
    @Valid
    private DataSourceFactory gatewayDatabase;

    @JsonProperty
    public DataSourceFactory getGatewayDatabase() {
        return gatewayDatabase;
    }

    @JsonProperty
    public void setGatewayDatabase(DataSourceFactory gatewayDatabase) {
        this.gatewayDatabase = gatewayDatabase;
    }
}
