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
import org.aigateway.analytics.consumer.ConsumerFactory;
import org.aigateway.analytics.consumer.ConsumerHealthCheck;
import org.aigateway.analytics.consumer.ConsumerMetrics;
import org.aigateway.analytics.consumer.DatabaseGuard;
import org.aigateway.analytics.consumer.DeadLetterQueueHealthCheck;
import org.aigateway.analytics.consumer.EventConsumer;
import org.aigateway.analytics.consumer.EventParser;
import org.aigateway.analytics.consumer.ReplayDeadLettersTask;
import org.aigateway.analytics.events.EventDao;
import org.aigateway.analytics.events.EventsResource;
import org.aigateway.analytics.events.IngestDao;
import org.aigateway.analytics.performance.PerformanceDao;
import org.aigateway.analytics.performance.PerformanceResource;
import org.aigateway.analytics.reconcile.ReconcileCommand;
import org.aigateway.analytics.usage.RebuildAggregatesTask;
import org.aigateway.analytics.usage.UsageDao;
import org.aigateway.analytics.usage.UsageResource;
import org.aigateway.contracts.EventJson;
import org.aigateway.contracts.Topology;
import org.aigateway.support.broker.BrokerConnection;
import org.aigateway.support.broker.BrokerHealthCheck;
import org.aigateway.support.errors.ErrorMappers;
import org.aigateway.support.server.IdleThreadEviction;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;

/** The analytics service: stores the gateway's usage events and serves per-user analytics. */
public class AnalyticsApplication extends Application<AnalyticsConfiguration> {
    /** Named per service so both changelogs can share a classpath (end-to-end tests run both services). */
    public static final String CHANGELOG = "analytics-migrations.xml";

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
                return CHANGELOG;
            }
        });
        bootstrap.addCommand(new ReconcileCommand());
        EventJson.configure(bootstrap.getObjectMapper());
        bootstrap.getObjectMapper().enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
    }

    @Override
    public void run(AnalyticsConfiguration configuration, Environment environment) {
        Jdbi jdbi = new JdbiFactory().build(environment, configuration.getDatabase(), "postgresql");
        jdbi.installPlugin(new PostgresPlugin());

        ErrorMappers.register(environment);
        environment.lifecycle().addServerLifecycleListener(new IdleThreadEviction());
        environment.jersey().register(new AuthDynamicFeature(new BearerTokenFilter.Builder<PrincipalImpl>()
                .setAuthenticator(new ApiTokenAuthenticator(configuration.getApiToken()))
                .setUnauthorizedHandler(new OpenAiUnauthorizedHandler())
                .setRealm(getName())
                .buildAuthFilter()));
        environment.jersey().register(new AuthValueFactoryProvider.Binder<>(PrincipalImpl.class));

        UsageDao usage = jdbi.onDemand(UsageDao.class);
        environment.jersey().register(new UsageResource(usage, environment.getObjectMapper()));
        environment.jersey().register(new PerformanceResource(jdbi.onDemand(PerformanceDao.class)));
        environment.jersey().register(new EventsResource(jdbi.onDemand(EventDao.class)));

        ConsumerFactory consumerConfig = configuration.getConsumer();
        BrokerConnection broker = configuration.getRabbitmq().build(environment, "analytics-service:consumer");
        EventConsumer consumer = new EventConsumer(consumerConfig,
                new EventParser(environment.getObjectMapper(), consumerConfig.getMaxEventSize().toBytes()),
                new IngestDao(jdbi),
                new DatabaseGuard(jdbi, consumerConfig.getDatabaseCheckInterval().toJavaDuration()),
                ConsumerMetrics.register(environment.metrics()),
                broker::setUpAgain);
        broker.onConnected(consumer::onConnected);
        // Started in this order and stopped in reverse: the consumer closes its channels before the connection.
        environment.lifecycle().manage(broker);
        environment.lifecycle().manage(consumer);

        environment.healthChecks().register("rabbitmq", new BrokerHealthCheck(broker));
        for (String queue : Topology.WORK_QUEUES) {
            environment.healthChecks().register("consumer:" + queue, new ConsumerHealthCheck(consumer, queue));
        }
        environment.healthChecks().register("dead-letter-queues",
                new DeadLetterQueueHealthCheck(broker, consumerConfig.getDeadLetterThreshold()));

        environment.admin().addTask(new ReplayDeadLettersTask(broker));
        environment.admin().addTask(new RebuildAggregatesTask(usage));
    }
}
