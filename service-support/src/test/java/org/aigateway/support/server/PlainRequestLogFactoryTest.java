package org.aigateway.support.server;

import ch.qos.logback.classic.spi.ILoggingEvent;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import io.dropwizard.logging.common.FileAppenderFactory;
import io.dropwizard.request.logging.RequestLogFactory;
import io.dropwizard.util.DataSize;
import org.eclipse.jetty.server.CustomRequestLog;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.RequestLog;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class PlainRequestLogFactoryTest {
    private static final String KEY = "sk-gw-0123456789abcdef";
    private static final String BODY = "hello";

    @TempDir
    Path logs;

    private final Server server = new Server();
    /** Requests the log was given, counted after it: the log's lines are due once this reaches the requests sent. */
    private final AtomicInteger logged = new AtomicInteger();

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    @Test
    void eachRequestIsOneLineWithoutItsQueryOrHeaders() throws Exception {
        Path log = logs.resolve("requests.log");
        Locale locale = Locale.getDefault();
        int port;
        try {
            // Month names stay English (as in every such log) whatever the machine's language.
            Locale.setDefault(Locale.GERMANY);
            port = start(loggingTo(fileAppender(log)));
        } finally {
            Locale.setDefault(locale);
        }

        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/v1/models?api_key=" + KEY))
                .header("Authorization", "Bearer " + KEY)
                .header("Referer", "http://example.test/?key=" + KEY)
                .header("Cookie", "session=" + KEY)
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log) && !Files.readString(log).isEmpty());
        List<String> lines = Files.readAllLines(log);
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).matches("127\\.0\\.0\\.1 - \\["
                + "\\d{2}/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\\d{4}:\\d{2}:\\d{2}:\\d{2} \\+0000] "
                + "\"GET /v1/models HTTP/1\\.1\" 200 " + BODY.length() + " \\d+");
        assertThat(Files.readString(log)).doesNotContain(KEY).doesNotContain(KEY.substring(6));
    }

    @Test
    void stoppingTheServerWritesEveryLineStillHeld() throws Exception {
        Path log = logs.resolve("requests.log");
        FileAppenderFactory<ILoggingEvent> file = fileAppender(log);
        // Held in the appender's buffer until it stops: only stopping it writes them.
        file.setImmediateFlush(false);
        file.setBufferSize(DataSize.mebibytes(1));
        int port = start(loggingTo(file));
        HttpClient client = HttpClient.newHttpClient();
        for (int i = 0; i < 200; i++) {
            client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/item/" + i)).build(),
                    HttpResponse.BodyHandlers.discarding());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> logged.get() == 200);

        assertThat(Files.readAllLines(log)).isEmpty();
        server.stop();

        List<String> lines = Files.readAllLines(log);
        assertThat(lines).hasSize(200);
        assertThat(lines.get(199)).contains("\"GET /item/199 HTTP/1.1\" 200 ");
    }

    @Test
    void aFullQueueLosesNoLine() throws Exception {
        Path log = logs.resolve("requests.log");
        FileAppenderFactory<ILoggingEvent> file = fileAppender(log);
        // Logback's own asynchronous appender would drop every line that finds another one queued (the threshold), or
        // the queue full (neverBlock).
        file.setQueueSize(5);
        file.setDiscardingThreshold(5);
        file.setNeverBlock(true);
        int port = start(loggingTo(file));
        HttpClient client = HttpClient.newHttpClient();
        int clients = 8;
        int each = 100;
        ExecutorService threads = Executors.newFixedThreadPool(clients);
        try {
            CompletableFuture.allOf(IntStream.range(0, clients).mapToObj(c -> CompletableFuture.runAsync(() -> {
                for (int i = 0; i < each; i++) {
                    try {
                        client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/c" + c + "/" + i))
                                .build(), HttpResponse.BodyHandlers.discarding());
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            }, threads)).toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        } finally {
            threads.shutdownNow();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> logged.get() == clients * each);

        server.stop();

        assertThat(Files.readAllLines(log)).hasSize(clients * each);
    }

    @Test
    void configurationNamesItByItsType() throws Exception {
        @SuppressWarnings({"unchecked", "rawtypes"})
        YamlConfigurationFactory<RequestLogFactory<?>> configurations = new YamlConfigurationFactory(
                RequestLogFactory.class, Validators.newValidator(), Jackson.newObjectMapper(), "dw");
        String yaml = "type: plain\nappenders: []\n";
        RequestLogFactory<?> parsed = configurations.build(
                path -> new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "request-log.yml");

        assertThat(parsed).isInstanceOf(PlainRequestLogFactory.class);
        assertThat(parsed.isEnabled()).isFalse();
    }

    private static FileAppenderFactory<ILoggingEvent> fileAppender(Path log) {
        FileAppenderFactory<ILoggingEvent> file = new FileAppenderFactory<>();
        file.setCurrentLogFilename(log.toString());
        file.setArchive(false);
        return file;
    }

    private static PlainRequestLogFactory loggingTo(FileAppenderFactory<ILoggingEvent> file) {
        PlainRequestLogFactory factory = new PlainRequestLogFactory();
        factory.setAppenders(List.of(file));
        return factory;
    }

    private int start(PlainRequestLogFactory factory) throws Exception {
        ServerConnector connector = new ServerConnector(server, 1, 1);
        server.addConnector(connector);
        CustomRequestLog requestLog = factory.build("test");
        // Added as a bean, as Dropwizard's setRequestLog does, so that it starts and stops with the server.
        server.addBean(requestLog);
        server.setRequestLog(new RequestLog.Collection(requestLog, (request, response) -> logged.incrementAndGet()));
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.setStatus(200);
                response.write(true, ByteBuffer.wrap(BODY.getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        });
        server.start();
        return connector.getLocalPort();
    }
}
