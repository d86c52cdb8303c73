package org.aigateway.bench.upstream;

import org.aigateway.bench.Args;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A minimal OpenAI-compatible upstream for load tests: {@code POST /v1/chat/completions} answers one fixed completion
 * at once, or, with {@code "stream": true}, streams it slowly. Non-blocking throughout (Jetty's core handler API and
 * one timer thread), so thousands of slow streams cost a buffer each, not a thread. With {@code --streams-at-once N}
 * the first N streams pause after their first chunk until all N are open ({@link StreamGate}).
 */
public final class MockUpstream {
    private MockUpstream() {
    }

    public static void run(Args args) throws Exception {
        int port = args.integer("port");
        int chunks = args.integer("stream-chunks", 20);
        Duration interval = args.duration("stream-interval", Duration.ofMillis(500));
        int atOnce = args.integer("streams-at-once", 0);
        Duration atOnceTimeout = args.duration("streams-at-once-timeout", Duration.ofSeconds(60));

        QueuedThreadPool threads = new QueuedThreadPool(16, 4);
        threads.setName("mock-upstream");
        Server server = new Server(threads);
        ServerConnector connector = new ServerConnector(server, 1, 2);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        // Thousands of streams connect within a second or two; a short accept queue would drop SYNs and add retries.
        connector.setAcceptQueueSize(8192);
        connector.setIdleTimeout(Duration.ofMinutes(5).toMillis());
        server.addConnector(connector);

        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "mock-upstream-stream-timer");
            thread.setDaemon(true);
            return thread;
        });
        server.setHandler(new CompletionHandler(new CannedCompletions(chunks), timer, interval,
                new StreamGate(atOnce, atOnceTimeout, interval, timer)));
        server.start();
        System.err.printf("mock upstream on http://127.0.0.1:%d/v1 (streams: %d chunks, %d ms apart%s)%n",
                port, chunks, interval.toMillis(), atOnce > 0 ? ", the first " + atOnce + " held after their first "
                        + "chunk until all of them are open, at most " + atOnceTimeout.toSeconds() + " s" : "");
        server.join();
    }
}
