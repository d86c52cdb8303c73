package org.aigateway.support.broker;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.rabbitmq.client.impl.StandardMetricsCollector;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.util.Duration;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

import java.net.URISyntaxException;
import java.security.GeneralSecurityException;

/** Broker settings from the YAML; builds the managed connection a service holds. */
public class RabbitMqFactory {
    @NotEmpty
    private String uri = "amqp://guest:guest@127.0.0.1:5672/%2f";

    @NotNull
    private Duration connectTimeout = Duration.seconds(5);

    @NotNull
    private Duration reconnectInterval = Duration.seconds(2);

    @NotNull
    private Duration heartbeat = Duration.seconds(30);

    @JsonProperty
    public String getUri() {
        return uri;
    }

    @JsonProperty
    public void setUri(String uri) {
        this.uri = uri;
    }

    @JsonProperty
    public Duration getConnectTimeout() {
        return connectTimeout;
    }

    @JsonProperty
    public void setConnectTimeout(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    @JsonProperty
    public Duration getReconnectInterval() {
        return reconnectInterval;
    }

    @JsonProperty
    public void setReconnectInterval(Duration reconnectInterval) {
        this.reconnectInterval = reconnectInterval;
    }

    @JsonProperty
    public Duration getHeartbeat() {
        return heartbeat;
    }

    @JsonProperty
    public void setHeartbeat(Duration heartbeat) {
        this.heartbeat = heartbeat;
    }

    /** A connection that is not opened until the lifecycle starts it. */
    public BrokerConnection build(Environment environment, String connectionName) {
        BatchingConnectionFactory factory = new BatchingConnectionFactory();
        try {
            factory.setUri(uri);
        } catch (URISyntaxException | GeneralSecurityException e) {
            throw new IllegalArgumentException("rabbitmq.uri is not a valid AMQP URI", e);
        }
        factory.setConnectionTimeout((int) connectTimeout.toMilliseconds());
        factory.setRequestedHeartbeat((int) heartbeat.toSeconds());
        factory.setAutomaticRecoveryEnabled(true);
        // Each service redeclares its topology and consumers itself on every (re)connect (BrokerConnection.onConnected).
        factory.setTopologyRecoveryEnabled(false);
        factory.setNetworkRecoveryInterval(reconnectInterval.toMilliseconds());
        factory.setMetricsCollector(new StandardMetricsCollector(environment.metrics(), "rabbitmq." + connectionName));
        return new BrokerConnection(factory, connectionName, reconnectInterval.toJavaDuration());
    }
}
