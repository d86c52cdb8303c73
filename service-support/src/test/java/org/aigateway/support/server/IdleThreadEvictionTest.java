package org.aigateway.support.server;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class IdleThreadEvictionTest {
    private static final int MIN_THREADS = 8;
    private static final int BURST = 120;

    private final QueuedThreadPool pool = new QueuedThreadPool(400, MIN_THREADS, 1_000);
    private final Server server = new Server(pool);

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    @Test
    void aPoolGrownByABurstShrinksToItsMinimumWithinAboutOneIdleTimeout() throws Exception {
        CountDownLatch arrived = new CountDownLatch(BURST);
        CountDownLatch release = new CountDownLatch(1);
        ServerConnector connector = new ServerConnector(server, 1, 1);
        // The JDK's default backlog of 50 would turn a burst of connects into waves a second apart.
        connector.setAcceptQueueSize(BURST);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                arrived.countDown();
                release.await(30, TimeUnit.SECONDS);
                response.setStatus(200);
                callback.succeeded();
                return true;
            }
        });
        server.start();
        new IdleThreadEviction().serverStarted(server);

        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/"))
                .timeout(Duration.ofSeconds(60)).build();
        List<CompletableFuture<HttpResponse<Void>>> burst = IntStream.range(0, BURST)
                .mapToObj(i -> client.sendAsync(request, HttpResponse.BodyHandlers.discarding())).toList();
        assertThat(arrived.await(30, TimeUnit.SECONDS)).as("all requests held by the server at once").isTrue();
        assertThat(pool.getThreads()).as("threads during the burst").isGreaterThanOrEqualTo(BURST);
        release.countDown();
        for (CompletableFuture<HttpResponse<Void>> answer : burst) {
            assertThat(answer.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }

        // Jetty's default, one thread per idle timeout, would still hold over 100 threads after 10 s.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(pool.getThreads()).isLessThanOrEqualTo(MIN_THREADS + pool.getLeasedThreads()));
    }
}
