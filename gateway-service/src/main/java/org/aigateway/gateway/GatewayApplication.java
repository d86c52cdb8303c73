package org.aigateway.gateway;

import com.fasterxml.jackson.core.JsonGenerator;
import io.dropwizard.auth.AuthDynamicFeature;
import io.dropwizard.auth.AuthValueFactoryProvider;
import io.dropwizard.auth.CachingAuthenticator;
import io.dropwizard.configuration.EnvironmentVariableSubstitutor;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import io.dropwizard.core.Application;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.db.DataSourceFactory;
import io.dropwizard.jdbi3.JdbiFactory;
import io.dropwizard.migrations.MigrationsBundle;
import org.aigateway.contracts.EventJson;
import org.aigateway.contracts.Topology;
import org.aigateway.gateway.auth.AdminAuthorizer;
import org.aigateway.gateway.auth.AuthFailureAlerts;
import org.aigateway.gateway.auth.ApiKeyAuthenticator;
import org.aigateway.gateway.auth.ApiKeyDao;
import org.aigateway.gateway.auth.ApiKeys;
import org.aigateway.gateway.auth.BearerKeyAuthFilter;
import org.aigateway.gateway.auth.Caller;
import org.aigateway.gateway.auth.JsonUnauthorizedHandler;
import org.aigateway.gateway.auth.KeysCommand;
import org.aigateway.gateway.chat.ChatCompletionResource;
import org.aigateway.gateway.chat.ChatCompletionService;
import org.aigateway.gateway.chat.ChatRequestValidator;
import org.aigateway.gateway.chat.RequestSizeLimitFilter;
import org.aigateway.gateway.history.HistoryContent;
import org.aigateway.gateway.history.HistoryResource;
import org.aigateway.gateway.history.HistoryWriter;
import org.aigateway.gateway.history.RequestHistoryDao;
import org.aigateway.gateway.model.ModelCatalog;
import org.aigateway.gateway.model.ModelsResource;
import org.aigateway.gateway.outbox.OutboxDao;
import org.aigateway.gateway.outbox.OutboxHealthCheck;
import org.aigateway.gateway.outbox.OutboxRelay;
import org.aigateway.gateway.outbox.RequestEvents;
import org.aigateway.gateway.provider.ChatProvider;
import org.aigateway.gateway.recovery.PendingRequestDao;
import org.aigateway.gateway.recovery.PendingRequestReaper;
import org.aigateway.gateway.session.SessionDao;
import org.aigateway.gateway.session.SessionsResource;
import org.aigateway.gateway.stats.UsageStatsDao;
import org.aigateway.gateway.stats.UsageStatsResource;
import org.aigateway.support.broker.BrokerConnection;
import org.aigateway.support.broker.BrokerHealthCheck;
import org.aigateway.support.errors.ErrorMappers;
import org.aigateway.support.server.IdleThreadEviction;
import org.glassfish.jersey.server.filter.RolesAllowedDynamicFeature;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.NoTemplateEngine;
import org.jdbi.v3.postgres.PostgresPlugin;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** The gateway: OpenAI-compatible chat completions with durable request history. Wires parts; holds no logic. */
public class GatewayApplication extends Application<GatewayConfiguration> {
    /** Named per service so both changelogs can share a classpath (end-to-end tests run both services). */
    public static final String CHANGELOG = "gateway-migrations.xml";
    private static final int AUTH_ALERTS_PER_SECOND = 10;

    public static void main(String[] args) throws Exception {
        new GatewayApplication().run(args);
    }

    @Override
    public String getName() {
        return "gateway-service";
    }

    @Override
    public void initialize(Bootstrap<GatewayConfiguration> bootstrap) {
        bootstrap.setConfigurationSourceProvider(new SubstitutingSourceProvider(
                bootstrap.getConfigurationSourceProvider(), new EnvironmentVariableSubstitutor(false)));
        bootstrap.addBundle(new MigrationsBundle<>() {
            @Override
            public DataSourceFactory getDataSourceFactory(GatewayConfiguration configuration) {
                return configuration.getDatabase();
            }

            @Override
            public String getMigrationsFileName() {
                return CHANGELOG;
            }
        });
        bootstrap.addCommand(new KeysCommand());
        EventJson.configure(bootstrap.getObjectMapper()).enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
    }

    @Override
    public void run(GatewayConfiguration configuration, Environment environment) {
        // No statement of the gateway's uses <attributes>: without a template engine JDBI does not lex each SQL
        // string again on every execution.
        Jdbi jdbi = new JdbiFactory().build(environment, configuration.getDatabase(), "postgresql")
                .installPlugin(new PostgresPlugin())
                .setTemplateEngine(new NoTemplateEngine());
        ErrorMappers.register(environment);
        environment.lifecycle().addServerLifecycleListener(new IdleThreadEviction());

        configuration.getUpstreamConnections().apply();
        Map<String, ChatProvider> providers = new LinkedHashMap<>();
        configuration.getProviders().forEach((name, factory) -> {
            ChatProvider provider = factory.build(name, environment.getObjectMapper(),
                    configuration.getUpstreamConnections());
            environment.lifecycle().manage(provider);
            providers.put(name, provider);
        });
        ModelCatalog catalog = new ModelCatalog(configuration.getModels(), providers);

        BrokerConnection broker = configuration.getRabbitmq().build(environment, "gateway-service:publisher");
        broker.onConnected(Topology::declare);
        environment.lifecycle().manage(broker);
        environment.healthChecks().register("rabbitmq", new BrokerHealthCheck(broker));

        OutboxDao outbox = jdbi.onDemand(OutboxDao.class);
        RequestEvents events = new RequestEvents(environment.getObjectMapper());
        OutboxRelay relay = new OutboxRelay(jdbi, broker, configuration.getOutbox(), environment.metrics());
        environment.lifecycle().manage(relay);
        environment.healthChecks().register("outbox", new OutboxHealthCheck(outbox,
                configuration.getOutbox().getMaxBacklogAge().toJavaDuration()));

        ApiKeys apiKeys = new ApiKeys(jdbi.onDemand(ApiKeyDao.class));
        environment.jersey().register(new AuthDynamicFeature(new BearerKeyAuthFilter.Builder()
                .setAlerts(new AuthFailureAlerts(outbox, events, relay::wakeUp, AUTH_ALERTS_PER_SECOND,
                        environment.metrics()))
                .setAuthenticator(new CachingAuthenticator<>(environment.metrics(), new ApiKeyAuthenticator(apiKeys),
                        configuration.getAuthenticationCachePolicy()))
                .setAuthorizer(new AdminAuthorizer())
                .setPrefix("Bearer")
                .setRealm("gateway")
                .setUnauthorizedHandler(new JsonUnauthorizedHandler())
                .buildAuthFilter()));
        environment.jersey().register(RolesAllowedDynamicFeature.class);
        environment.jersey().register(new AuthValueFactoryProvider.Binder<>(Caller.class));

        long maxBodyBytes = configuration.getMaxRequestBodySize().toBytes();
        RequestHistoryDao history = jdbi.onDemand(RequestHistoryDao.class);
        HistoryWriter historyWriter = configuration.getHistory().buildWriter(jdbi, environment.metrics());
        environment.lifecycle().manage(historyWriter);
        HistoryContent historyContent = configuration.getHistory().buildContent(environment.getObjectMapper());
        environment.jersey().register(new RequestSizeLimitFilter(maxBodyBytes));
        environment.jersey().register(new ChatCompletionResource(
                new ChatCompletionService(new ChatRequestValidator(catalog), historyWriter,
                        events, relay::wakeUp, environment.getObjectMapper(),
                        configuration.getRecovery().getInstanceId(), historyContent),
                environment.getObjectMapper(), maxBodyBytes));
        environment.jersey().register(new HistoryResource(history));
        environment.lifecycle().manage(new PendingRequestReaper(jdbi.onDemand(PendingRequestDao.class), history,
                events, relay::wakeUp, environment.getObjectMapper(), configuration.getRecovery(),
                environment.metrics()));

        SessionDao sessions = jdbi.onDemand(SessionDao.class);
        environment.lifecycle().manage(configuration.getSessions().buildSweeper(sessions, environment.metrics()));
        environment.jersey().register(new SessionsResource(sessions, history));
        environment.jersey().register(new UsageStatsResource(jdbi.onDemand(UsageStatsDao.class), Clock.systemUTC()));
        environment.jersey().register(new ModelsResource(catalog, Instant.now()));
    }
}
