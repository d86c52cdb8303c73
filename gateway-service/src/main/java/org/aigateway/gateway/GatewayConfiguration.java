package org.aigateway.gateway;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.github.benmanes.caffeine.cache.CaffeineSpec;
import io.dropwizard.core.Configuration;
import io.dropwizard.db.DataSourceFactory;
import io.dropwizard.util.DataSize;
import io.dropwizard.validation.MaxDataSize;
import io.dropwizard.validation.MinDataSize;
import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import org.aigateway.gateway.history.HistoryFactory;
import org.aigateway.gateway.model.ModelRoute;
import org.aigateway.gateway.outbox.OutboxRelayFactory;
import org.aigateway.gateway.provider.ProviderFactory;
import org.aigateway.gateway.provider.UpstreamConnectionsFactory;
import org.aigateway.gateway.recovery.RecoveryFactory;
import org.aigateway.gateway.session.SessionsFactory;
import org.aigateway.support.broker.RabbitMqFactory;

import java.util.LinkedHashMap;
import java.util.Map;

/** Everything an operator sets for the gateway, read from {@code config/gateway.yml}. */
public class GatewayConfiguration extends Configuration {
    @Valid
    @NotNull
    private DataSourceFactory database = new DataSourceFactory();

    @Valid
    @NotNull
    private RabbitMqFactory rabbitmq = new RabbitMqFactory();

    @Valid
    @NotEmpty
    private Map<String, ProviderFactory> providers = new LinkedHashMap<>();

    @Valid
    @NotNull
    private UpstreamConnectionsFactory upstreamConnections = new UpstreamConnectionsFactory();

    @Valid
    @NotEmpty
    private Map<String, ModelRoute> models = new LinkedHashMap<>();

    @Valid
    @NotNull
    private OutboxRelayFactory outbox = new OutboxRelayFactory();

    @Valid
    @NotNull
    private RecoveryFactory recovery = new RecoveryFactory();

    @Valid
    @NotNull
    private SessionsFactory sessions = new SessionsFactory();

    @Valid
    @NotNull
    private HistoryFactory history = new HistoryFactory();

    /**
     * Verified keys are remembered this long, saving a database read per request; a revoked key keeps working on a
     * running gateway until its entry expires. Unknown keys are never remembered.
     */
    @NotNull
    private CaffeineSpec authenticationCachePolicy = CaffeineSpec.parse("maximumSize=10000, expireAfterWrite=10s");

    @NotNull
    @MinDataSize(1024)
    @MaxDataSize(value = 64, unit = io.dropwizard.util.DataSizeUnit.MEBIBYTES)
    private DataSize maxRequestBodySize = DataSize.mebibytes(4);

    @JsonProperty
    public DataSourceFactory getDatabase() {
        return database;
    }

    @JsonProperty
    public void setDatabase(DataSourceFactory database) {
        this.database = database;
    }

    @JsonProperty
    public RabbitMqFactory getRabbitmq() {
        return rabbitmq;
    }

    @JsonProperty
    public void setRabbitmq(RabbitMqFactory rabbitmq) {
        this.rabbitmq = rabbitmq;
    }

    @JsonProperty
    public Map<String, ProviderFactory> getProviders() {
        return providers;
    }

    @JsonProperty
    public void setProviders(Map<String, ProviderFactory> providers) {
        this.providers = providers;
    }

    @JsonProperty
    public Map<String, ModelRoute> getModels() {
        return models;
    }

    @JsonProperty
    public void setModels(Map<String, ModelRoute> models) {
        this.models = models;
    }

    @JsonProperty
    public UpstreamConnectionsFactory getUpstreamConnections() {
        return upstreamConnections;
    }

    @JsonProperty
    public void setUpstreamConnections(UpstreamConnectionsFactory upstreamConnections) {
        this.upstreamConnections = upstreamConnections;
    }

    @JsonProperty
    public OutboxRelayFactory getOutbox() {
        return outbox;
    }

    @JsonProperty
    public void setOutbox(OutboxRelayFactory outbox) {
        this.outbox = outbox;
    }

    @JsonProperty
    public RecoveryFactory getRecovery() {
        return recovery;
    }

    @JsonProperty
    public void setRecovery(RecoveryFactory recovery) {
        this.recovery = recovery;
    }

    @JsonProperty
    public SessionsFactory getSessions() {
        return sessions;
    }

    @JsonProperty
    public void setSessions(SessionsFactory sessions) {
        this.sessions = sessions;
    }

    @JsonProperty
    public HistoryFactory getHistory() {
        return history;
    }

    @JsonProperty
    public void setHistory(HistoryFactory history) {
        this.history = history;
    }

    @JsonProperty
    public CaffeineSpec getAuthenticationCachePolicy() {
        return authenticationCachePolicy;
    }

    @JsonProperty
    public void setAuthenticationCachePolicy(CaffeineSpec authenticationCachePolicy) {
        this.authenticationCachePolicy = authenticationCachePolicy;
    }

    @JsonProperty
    public DataSize getMaxRequestBodySize() {
        return maxRequestBodySize;
    }

    @JsonProperty
    public void setMaxRequestBodySize(DataSize maxRequestBodySize) {
        this.maxRequestBodySize = maxRequestBodySize;
    }

    @AssertTrue(message = "every model must name a provider listed under providers")
    public boolean isEveryModelRoutedToAConfiguredProvider() {
        return models.values().stream().allMatch(route -> route.getProvider() != null && providers.containsKey(route.getProvider()));
    }
}
