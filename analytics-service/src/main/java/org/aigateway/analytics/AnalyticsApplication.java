package org.aigateway.analytics;

import com.fasterxml.jackson.core.JsonGenerator;
import io.dropwizard.auth.AuthDynamicFeature;
import io.dropwizard.auth.AuthValueFactoryProvider;
import io.dropwizard.auth.PrincipalImpl;
import io.dropwizard.configuration.EnvironmentVariableSubstitutor;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import io.dropwizard.core.Application;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.db.DataSourceFactory;
import io.dropwizard.jdbi3.JdbiFactory;
import io.dropwizard.migrations.MigrationsBundle;
import org.aigateway.analytics.auth.ApiTokenAuthenticator;
import org.aigateway.analytics.auth.BearerTokenFilter;
import org.aigateway.analytics.auth.OpenAiUnauthorizedHandler;
import org.aigateway.contracts.EventJson;
import org.aigateway.contracts.Topology;
import org.aigateway.support.broker.BrokerConnection;
import org.aigateway.support.broker.BrokerHealthCheck;
import org.aigateway.support.errors.ErrorMappers;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;


/** The analytics service: stores the gateway's usage events and serves per-user analytics. */
public class AnalyticsApplication extends Application<AnalyticsConfiguration> {
    public static void main(String[] args) throws Exception {
        new AnalyticsApplication().run(args);
    }

    @Override
    public String getName() {
        return "analytics-service";
    }

    @Override
    public void initialize(Bootstrap<AnalyticsConfiguration> bootstrap) {
        bootstrap.setConfigurationSourceProvider(new SubstitutingSourceProvider(
                bootstrap.getConfigurationSourceProvider(), new EnvironmentVariableSubstitutor(false)));
        bootstrap.addBundle(new MigrationsBundle<>() {
            @Override
            public DataSourceFactory getDataSourceFactory(AnalyticsConfiguration configuration) {
                return configuration.getDatabase();
            }

            @Override
            public String getMigrationsFileName() {
                return "migrations.xml";
            }
        });
        EventJson.configure(bootstrap.getObjectMapper());
        bootstrap.getObjectMapper().enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
    }

    @Override
    public void run(AnalyticsConfiguration configuration, Environment environment) {
        Jdbi jdbi = new JdbiFactory().build(environment, configuration.getDatabase(), "postgresql");
        jdbi.installPlugin(new PostgresPlugin());

        ErrorMappers.register(environment.jersey());
        environment.jersey().register(new AuthDynamicFeature(new BearerTokenFilter.Builder<PrincipalImpl>()
                .setAuthenticator(new ApiTokenAuthenticator(configuration.getApiToken()))
                .setUnauthorizedHandler(new OpenAiUnauthorizedHandler())
                .setRealm(getName())
                .buildAuthFilter()));
        environment.jersey().register(new AuthValueFactoryProvider.Binder<>(PrincipalImpl.class));

        BrokerConnection broker = configuration.getRabbitmq().build(environment, "analytics-service:consumer");
        broker.onConnected(Topology::declare);
        environment.lifecycle().manage(broker);
        environment.healthChecks().register("rabbitmq", new BrokerHealthCheck(broker));
    }
}
