package org.aigateway.analytics.reconcile;

import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.db.DataSourceFactory;
import io.dropwizard.db.ManagedDataSource;
import net.sourceforge.argparse4j.inf.Namespace;
import org.aigateway.analytics.AnalyticsConfiguration;
import org.jdbi.v3.core.Jdbi;

import java.io.PrintStream;

/**
 * {@code reconcile <config>}: compares the gateway's request history with analytics' totals per user and per UTC day.
 * Prints every difference and exits non-zero if there is any; prints a one-line summary and exits 0 if there is none.
 */
public class ReconcileCommand extends ConfiguredCommand<AnalyticsConfiguration> {
    private final PrintStream out;

    public ReconcileCommand() {
        this(System.out);
    }

    public ReconcileCommand(PrintStream out) {
        super("reconcile", "Compare the gateway's request history with analytics totals per user and per UTC day");
        this.out = out;
    }

    @Override
    protected void run(Bootstrap<AnalyticsConfiguration> bootstrap, Namespace namespace,
                       AnalyticsConfiguration configuration) throws Exception {
        ReconcileFactory reconcile = configuration.getReconcile();
        if (reconcile == null || reconcile.getGatewayDatabase() == null) {
            throw new IllegalArgumentException("reconcile needs reconcile.gatewayDatabase in the configuration");
        }
        ManagedDataSource gatewaySource = build(reconcile.getGatewayDatabase(), bootstrap, "reconcile-gateway");
        ManagedDataSource analyticsSource = build(configuration.getDatabase(), bootstrap, "reconcile-analytics");
        Reconciliation.Report report;
        try {
            report = new Reconciliation(Jdbi.create(gatewaySource), Jdbi.create(analyticsSource)).run();
        } finally {
            gatewaySource.stop();
            analyticsSource.stop();
        }
        if (!report.agrees()) {
            report.differences().forEach(out::println);
            out.flush();
            throw new DifferencesFound(report.differences().size());
        }
        out.println(report.summary());
    }

    private static ManagedDataSource build(DataSourceFactory database, Bootstrap<?> bootstrap, String name) {
        return database.build(bootstrap.getMetricRegistry(), name);
    }

    @Override
    public void onError(Cli cli, Namespace namespace, Throwable e) {
        // The differences are already printed; anything else is worth one line, not a stack trace.
        cli.getStdErr().println(e instanceof DifferencesFound ? e.getMessage() : "reconcile failed: " + e);
    }

    /** Makes the command exit non-zero. */
    static final class DifferencesFound extends Exception {
        DifferencesFound(int count) {
            super(count + " difference(s) between request history and analytics");
        }
    }
}
