package org.aigateway.e2e;

import io.dropwizard.configuration.EnvironmentVariableSubstitutor;
import io.dropwizard.configuration.FileConfigurationSourceProvider;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.core.Configuration;
import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import org.aigateway.analytics.AnalyticsConfiguration;
import org.aigateway.gateway.GatewayConfiguration;
import org.aigateway.support.server.PlainRequestLogFactory;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What operators run: the configuration files in config/, read as the services read them. */
class ShippedConfigurationTest {
    @Test
    void bothServicesLogRequestsWithoutHeadersOrQueryStrings() throws Exception {
        // Without a type, Dropwizard's default request log applies, whose default pattern prints the request line
        // (query string included) and request headers.
        assertThat(requestLog(GatewayConfiguration.class, "../config/gateway.yml"))
                .isInstanceOf(PlainRequestLogFactory.class);
        assertThat(requestLog(AnalyticsConfiguration.class, "../config/analytics.yml"))
                .isInstanceOf(PlainRequestLogFactory.class);
    }

    private static <C extends Configuration> Object requestLog(Class<C> type, String path) throws Exception {
        C configuration = new YamlConfigurationFactory<>(type, Validators.newValidator(), Jackson.newObjectMapper(), "dw")
                .build(new SubstitutingSourceProvider(new FileConfigurationSourceProvider(),
                        new EnvironmentVariableSubstitutor(false)), path);
        return ((DefaultServerFactory) configuration.getServerFactory()).getRequestLogFactory();
    }
}
