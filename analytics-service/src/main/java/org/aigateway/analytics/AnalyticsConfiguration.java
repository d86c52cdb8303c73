package org.aigateway.analytics;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.core.Configuration;
import io.dropwizard.db.DataSourceFactory;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import org.aigateway.analytics.consumer.ConsumerFactory;
import org.aigateway.analytics.reconcile.ReconcileFactory;
import org.aigateway.support.broker.RabbitMqFactory;

/** The analytics service's settings, read from YAML with environment-variable substitution. */
public class AnalyticsConfiguration extends Configuration {
    @Valid
    @NotNull
    private DataSourceFactory database = new DataSourceFactory();

    @Valid
    @NotNull
    private RabbitMqFactory rabbitmq = new RabbitMqFactory();

    @Valid
    @NotNull
    private ConsumerFactory consumer = new ConsumerFactory();

    @NotEmpty
    private String apiToken;

    /** Only the {@code reconcile} command reads it. */
    @Valid
    private ReconcileFactory reconcile;

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
    public ConsumerFactory getConsumer() {
        return consumer;
    }

    @JsonProperty
    public void setConsumer(ConsumerFactory consumer) {
        this.consumer = consumer;
    }

    @JsonProperty
    public ReconcileFactory getReconcile() {
        return reconcile;
    }

    @JsonProperty
    public void setReconcile(ReconcileFactory reconcile) {
        this.reconcile = reconcile;
    }

    @JsonProperty
    public String getApiToken() {
        return apiToken;
    }

    @JsonProperty
    public void setApiToken(String apiToken) {
        this.apiToken = apiToken;
    }
}
