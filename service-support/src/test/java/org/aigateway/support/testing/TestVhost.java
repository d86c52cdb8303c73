package org.aigateway.support.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A RabbitMQ virtual host of its own for one test class on the local broker, so queue names never collide between
 * test runs; deleted when closed (or at JVM exit). Needs {@code rabbitmqctl} (the broker's own CLI) on this machine.
 */
public final class TestVhost implements AutoCloseable {
    private static final String HOST = TestDatabase.env("TEST_RABBITMQ_HOST", "127.0.0.1");
    private static final String PORT = TestDatabase.env("TEST_RABBITMQ_PORT", "5672");

    private final String name;
    private volatile boolean deleted;

    private TestVhost(String name) {
        this.name = name;
    }

    public static TestVhost create(String prefix) {
        String name = "aigw_test_" + prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        rabbitmqctl("add_vhost", name);
        rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*");
        TestVhost vhost = new TestVhost(name);
        Runtime.getRuntime().addShutdownHook(new Thread(vhost::close));
        return vhost;
    }

    public String name() {
        return name;
    }

    public String uri() {
        return "amqp://guest:guest@" + HOST + ":" + PORT + "/" + name;
    }

    /** The URI of this vhost through a local port that forwards to the broker, such as a {@link TcpProxy}. */
    public String uriThrough(int localPort) {
        return "amqp://guest:guest@127.0.0.1:" + localPort + "/" + name;
    }

    public static String brokerHost() {
        return HOST;
    }

    public static int brokerPort() {
        return Integer.parseInt(PORT);
    }

    @Override
    public void close() {
        if (!deleted) {
            deleted = true;
            rabbitmqctl("delete_vhost", name);
        }
    }

    private static void rabbitmqctl(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Files.isExecutable(Path.of("/usr/sbin/rabbitmqctl")) ? "/usr/sbin/rabbitmqctl" : "rabbitmqctl");
        command.add("-q");
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("rabbitmqctl timed out: " + command);
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IllegalStateException("rabbitmqctl failed: " + command + "\n" + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run rabbitmqctl", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running rabbitmqctl", e);
        }
    }
}
