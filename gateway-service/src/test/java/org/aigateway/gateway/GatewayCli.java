package org.aigateway.gateway;

import org.aigateway.support.testing.TestDatabase;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Runs the gateway's real command line in this JVM, with a config file pointing at a test database. */
final class GatewayCli {
    private GatewayCli() {
    }

    /** Writes a complete, valid gateway configuration for {@code db} into {@code dir} and returns its path. */
    static Path writeConfig(Path dir, TestDatabase db) throws IOException {
        Path config = dir.resolve("gateway-" + db.name() + ".yml");
        Files.writeString(config, """
                logging:
                  level: WARN
                  appenders:
                    - type: console
                      target: stderr
                database:
                  driverClass: org.postgresql.Driver
                  url: %s
                  user: %s
                  password: "%s"
                providers:
                  mock:
                    type: mock
                models:
                  mock-1:
                    provider: mock
                """.formatted(db.url(), db.user(), db.password()));
        return config;
    }

    /** Runs a command; a failure fails the test instead of ending the JVM. */
    static void run(String... arguments) throws Exception {
        new GatewayApplication() {
            @Override
            protected void onFatalError(Throwable t) {
                throw new CommandFailed(String.join(" ", arguments), t);
            }
        }.run(arguments);
    }

    /** Runs a command and returns what it printed on stdout; logs go to stderr and are not part of it. */
    static String runForStdout(String... arguments) throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        // The keys command binds System.out when the application initializes, which happens inside run().
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            run(arguments);
        } finally {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    /** A command ended with an error. */
    static final class CommandFailed extends AssertionError {
        CommandFailed(String command, Throwable cause) {
            super("gateway-service " + command + " failed: " + cause, cause);
        }
    }
}
