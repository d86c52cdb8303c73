package org.aigateway.gateway.auth;

import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.db.ManagedDataSource;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;
import org.aigateway.gateway.GatewayConfiguration;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;

import java.io.PrintStream;

/**
 * {@code keys create --user U [--admin] [--name N]}, {@code keys list [--user U]}, {@code keys revoke --key ID-OR-PREFIX}.
 * {@code create} prints only the new key on stdout, so scripts can capture it; logs go to stderr.
 */
public class KeysCommand extends ConfiguredCommand<GatewayConfiguration> {
    private final PrintStream out;

    public KeysCommand() {
        this(System.out);
    }

    public KeysCommand(PrintStream out) {
        super("keys", "Create, list and revoke gateway API keys");
        this.out = out;
    }

    @Override
    public void configure(Subparser subparser) {
        subparser.addArgument("action").choices("create", "list", "revoke").help("what to do");
        subparser.addArgument("--user").help("user id the key belongs to (create; filter for list)");
        subparser.addArgument("--name").help("a label for the key (create)");
        subparser.addArgument("--admin").action(Arguments.storeTrue()).help("give the key the admin role (create)");
        subparser.addArgument("--key").help("id or display prefix of the key to revoke (revoke)");
        super.configure(subparser);
    }

    @Override
    protected void run(Bootstrap<GatewayConfiguration> bootstrap, Namespace namespace, GatewayConfiguration configuration)
            throws Exception {
        ManagedDataSource dataSource = configuration.getDatabase().build(bootstrap.getMetricRegistry(), "keys");
        try {
            Jdbi jdbi = Jdbi.create(dataSource).installPlugin(new SqlObjectPlugin()).installPlugin(new PostgresPlugin());
            ApiKeys keys = new ApiKeys(jdbi.onDemand(ApiKeyDao.class));
            switch (namespace.getString("action")) {
                case "create" -> create(keys, namespace);
                case "list" -> list(keys, namespace.getString("user"));
                default -> revoke(keys, namespace.getString("key"));
            }
        } finally {
            dataSource.stop();
        }
    }

    private void create(ApiKeys keys, Namespace namespace) {
        String user = namespace.getString("user");
        if (user == null || user.isBlank() || user.length() > 200) {
            throw new IllegalArgumentException("keys create needs --user <user id> (at most 200 characters)");
        }
        out.println(keys.create(user.strip(), namespace.getString("name"), namespace.getBoolean("admin")).plaintext());
    }

    private void list(ApiKeys keys, String user) {
        out.printf("%-36s  %-14s  %-20s  %-5s  %-20s  %s%n", "ID", "PREFIX", "USER", "ADMIN", "CREATED", "STATUS");
        for (ApiKey key : keys.list(user)) {
            out.printf("%-36s  %-14s  %-20s  %-5s  %-20s  %s%n", key.id(), key.prefix(), key.userId(),
                    key.admin() ? "yes" : "no", key.createdAt().toString().substring(0, 19),
                    key.active() ? "active" : "revoked " + key.revokedAt());
        }
    }

    private void revoke(ApiKeys keys, String ref) {
        if (ref == null || ref.isBlank()) {
            throw new IllegalArgumentException("keys revoke needs --key <key id or prefix>");
        }
        int revoked = keys.revoke(ref.strip());
        if (revoked == 0) {
            throw new IllegalArgumentException("no active key with id or prefix " + ref);
        }
        out.println("revoked " + revoked + " key(s)");
    }
}
