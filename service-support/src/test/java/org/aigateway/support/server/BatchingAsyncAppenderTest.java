package org.aigateway.support.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class BatchingAsyncAppenderTest {
    private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final BatchingAsyncAppender queue = new BatchingAsyncAppender();

    @AfterEach
    void stop() {
        queue.stop();
    }

    private void start(int queueSize) {
        lines.setContext(context);
        lines.start();
        queue.setContext(context);
        queue.setName("test");
        queue.setQueueSize(queueSize);
        // The final flush must not be cut short on a busy machine.
        queue.setMaxFlushTime(30_000);
        queue.addAppender(lines);
        queue.start();
    }

    @Test
    void aLineAfterAQuietSpellWakesTheSleepingWriter() throws Exception {
        start(256);
        queue.doAppend(line("first"));
        await().atMost(Duration.ofSeconds(5)).until(() -> lines.list.size() == 1);
        // The writer has looked again, found nothing and sleeps until a line wakes it (not a timed wait).
        Thread writer = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("AsyncAppender-Batcher-test")).findFirst().orElseThrow();
        await().atMost(Duration.ofSeconds(5)).until(() -> writer.getState() == Thread.State.WAITING);

        queue.doAppend(line("second"));

        await().atMost(Duration.ofSeconds(5)).until(() -> lines.list.size() == 2);
        assertThat(lines.list).extracting(ILoggingEvent::getMessage).containsExactly("first", "second");
    }

    @Test
    void manyThreadsThroughATinyQueueLoseNothingAndKeepEachThreadsOrder() throws Exception {
        start(4);
        int threads = 8;
        int each = 2_000;
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread writer = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                IntStream.range(0, each).forEach(i -> queue.doAppend(line(thread + ":" + i)));
            });
            writer.start();
            writers.add(writer);
        }
        go.countDown();
        for (Thread writer : writers) {
            writer.join(TimeUnit.SECONDS.toMillis(60));
        }

        queue.stop();

        assertThat(lines.list).hasSize(threads * each);
        for (int t = 0; t < threads; t++) {
            String prefix = t + ":";
            assertThat(lines.list.stream().map(ILoggingEvent::getMessage).filter(m -> m.startsWith(prefix)))
                    .containsExactlyElementsOf(IntStream.range(0, each).mapToObj(i -> prefix + i).toList());
        }
    }

    @Test
    void stoppingWritesWhatIsQueuedThenStopsTheAppenders() {
        start(10_000);
        IntStream.range(0, 5_000).forEach(i -> queue.doAppend(line("line " + i)));

        queue.stop();

        assertThat(lines.list).hasSize(5_000);
        assertThat(lines.isStarted()).isFalse();
        queue.doAppend(line("after stop"));
        assertThat(lines.list).hasSize(5_000);
    }

    private LoggingEvent line(String message) {
        LoggingEvent event = new LoggingEvent();
        event.setLoggerContext(context);
        event.setLoggerName("http.request");
        event.setLevel(Level.INFO);
        event.setMessage(message);
        return event;
    }
}
