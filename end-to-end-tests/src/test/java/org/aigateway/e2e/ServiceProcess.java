package org.aigateway.e2e;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * One service run from its shaded jar as a real operating-system process, so a test can SIGKILL it mid-work and start
 * it again on the same ports. Configuration is the test YAML plus {@code -Ddw.} overrides; output goes to a log file
 * under {@code target/e2e-logs}.
 */
final class ServiceProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Path LOGS = Path.of("target", "e2e-logs");

    private final String name;
    private final Path jar;
    private final Path config;
    private final Map<String, String> overrides = new LinkedHashMap<>();
    private final int port;
    private final int adminPort;
    private Process process;
    private int starts;

    ServiceProcess(String name, Path jar, Path config, Map<String, String> overrides) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: the end-to-end tests run the services' shaded jars, "
                    + "built by `mvn verify` (or `mvn package`) of the whole project before this module");
        }
        this.name = name;
        this.jar = jar;
        this.config = config;
        this.port = freePort();
        this.adminPort = freePort();
        this.overrides.putAll(overrides);
        this.overrides.put("server.applicationConnectors[0].port", String.valueOf(port));
        this.overrides.put("server.adminConnectors[0].port", String.valueOf(adminPort));
    }

    /** The jar a system property names (set by this module's pom). */
    static Path jar(String property) {
        String path = System.getProperty(property);
        if (path == null) {
            throw new IllegalStateException("system property " + property + " is not set; run through Maven");
        }
        return Path.of(path);
    }

    int port() {
        return port;
    }

    int adminPort() {
        return adminPort;
    }

    synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is already running");
        }
        Files.createDirectories(LOGS);
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xms64m", "-Xmx256m", "-XX:+UseSerialGC"));
        overrides.forEach((key, value) -> command.add("-Ddw." + key + "=" + value));
        command.addAll(List.of("-jar", jar.toString(), "server", config.toString()));
        Path log = LOGS.resolve(name + "-" + (++starts) + ".log");
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Waits until the admin port answers {@code /ping}; the process failing meanwhile fails the wait. */
    void awaitUp(Duration patience) {
        await().atMost(patience).pollInterval(Duration.ofMillis(250)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + LOGS);
            }
            return status("/ping") == 200;
        });
    }

    /** Waits until every health check passes. */
    void awaitHealthy(Duration patience) {
        awaitUp(patience);
        await().atMost(patience).pollInterval(Duration.ofMillis(250)).until(() -> status("/healthcheck") == 200);
    }

    /** The admin port's answer to a path, or -1 if nothing answers. */
    int status(String adminPath) {
        try {
            return HTTP.send(HttpRequest.newBuilder(adminUri(adminPath)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The admin port's body at a path, e.g. {@code /metrics}. */
    String admin(String adminPath) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(adminUri(adminPath)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private URI adminUri(String adminPath) {
        return URI.create("http://127.0.0.1:" + adminPort + adminPath);
    }

    /** SIGKILL: no shutdown hook, no graceful stop, whatever was in flight is cut. */
    synchronized void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** SIGTERM, then SIGKILL if it does not stop in time. */
    @Override
    public synchronized void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free local port", e);
        }
    }
}
