package org.aigateway.gateway.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One streaming call to an HTTP upstream that answers with Server-Sent Events. The body is read line by line as it
 * arrives, with no thread waiting for it; each event goes through the upstream's {@link StreamProtocol}. Keeps the
 * {@link StreamListener} contract: listener calls one at a time, exactly one end, none after {@link #cancel()}. A
 * stream silent for longer than the idle timeout ends with a timeout; one that stops before its end event is broken.
 */
final class UpstreamEventStream implements ChatStream, Flow.Subscriber<String> {
    private static final Logger LOG = LoggerFactory.getLogger(UpstreamEventStream.class);

    private final String provider;
    private final StreamProtocol protocol;
    private final StreamListener listener;
    private final ScheduledExecutorService timers;
    private final long idleTimeoutNanos;
    private final SseEventReader reader = new SseEventReader();
    private final StreamProtocol.Output output = new Output();
    // Held for every listener call, so that a timeout never interleaves with a chunk under way.
    private final ReentrantLock lock = new ReentrantLock();

    // No listener call after this is set: the stream ended or was cancelled.
    private volatile boolean ended;
    // The body is fully read or abandoned: no more idle checks.
    private volatile boolean bodyDone;
    private volatile int status;
    private volatile long lastActivity;
    private volatile Flow.Subscription subscription;
    private volatile ScheduledFuture<?> idleCheck;
    private volatile CompletableFuture<?> exchange;

    private UpstreamEventStream(String provider, StreamProtocol protocol, StreamListener listener,
                                ScheduledExecutorService timers, Duration idleTimeout) {
        this.provider = provider;
        this.protocol = protocol;
        this.listener = listener;
        this.timers = timers;
        this.idleTimeoutNanos = idleTimeout.toNanos();
    }

    /**
     * The POST of a JSON body that asks the upstream for a stream of server-sent events.
     *
     * @param headers     the upstream's own headers (credentials, API version)
     * @param readTimeout the longest wait for the response headers
     */
    static HttpRequest request(URI endpoint, Map<String, String> headers, byte[] json, Duration readTimeout) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(endpoint)
                .timeout(readTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream");
        headers.forEach(builder::header);
        return builder.POST(HttpRequest.BodyPublishers.ofByteArray(json)).build();
    }

    /**
     * Sends the request and returns at once.
     *
     * @param idleTimeout the longest silence allowed once the response headers arrived; the request's own timeout
     *                    covers the wait for them
     */
    static ChatStream start(String provider, HttpClient client, HttpRequest request, StreamProtocol protocol,
                            StreamListener listener, ScheduledExecutorService timers, Duration idleTimeout) {
        UpstreamEventStream stream = new UpstreamEventStream(provider, protocol, listener, timers, idleTimeout);
        CompletableFuture<HttpResponse<Void>> exchange;
        try {
            exchange = client.sendAsync(request, stream::bodyFor);
        } catch (RuntimeException e) {
            return refused(UpstreamException.unreachable(provider, UpstreamException.describe(e)), listener, timers);
        }
        stream.exchange = exchange;
        exchange.whenComplete((response, failure) -> {
            if (failure != null) {
                stream.failed(failure);
            }
        });
        return stream;
    }

    /** A stream refused before any call: the listener hears of it from the timer thread, unless cancelled first. */
    static ChatStream refused(UpstreamException error, StreamListener listener, ScheduledExecutorService timers) {
        AtomicBoolean cancelled = new AtomicBoolean();
        timers.execute(() -> {
            if (cancelled.compareAndSet(false, true)) {
                listener.onError(error);
            }
        });
        return () -> cancelled.set(true);
    }

    private HttpResponse.BodySubscriber<Void> bodyFor(HttpResponse.ResponseInfo response) {
        status = response.statusCode();
        lastActivity = System.nanoTime();
        scheduleIdleCheck(idleTimeoutNanos);
        boolean success = status >= 200 && status < 300;
        if (success && !response.headers().firstValue("Content-Type").orElse("").startsWith("application/json")) {
            return HttpResponse.BodySubscribers.fromLineSubscriber(this, subscriber -> null, StandardCharsets.UTF_8,
                    null);
        }
        return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofByteArray(), body -> {
            bodyRead();
            end(success ? UpstreamException.badResponse(provider, status, "expected an event stream, got JSON")
                    : protocol.rejected(status, body));
            return null;
        });
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        this.subscription = subscription;
        if (ended) {
            subscription.cancel();
            return;
        }
        lock.lock();
        try {
            if (!ended) {
                listener.onOpen();
            }
        } finally {
            lock.unlock();
        }
        subscription.request(1);
    }

    @Override
    public void onNext(String line) {
        lastActivity = System.nanoTime();
        if (!ended) {
            SseEventReader.Event event = reader.read(line);
            if (event != null) {
                handle(event);
            }
        }
        // Read on after the end event too, so the connection goes back to the pool once the body is complete.
        subscription.request(1);
    }

    private void handle(SseEventReader.Event event) {
        lock.lock();
        try {
            if (ended) {
                return;
            }
            if (protocol.onEvent(event, output)) {
                ended = true;
                listener.onComplete();
            }
        } catch (UpstreamException e) {
            ended = true;
            listener.onError(e);
            abandon();
        } catch (RuntimeException e) {
            LOG.warn("Handling an event of a stream from provider {} failed; stream stopped", provider, e);
            abandon();
            if (!ended) {
                ended = true;
                // The contract promises an end; if the listener itself is what failed, it may fail again.
                try {
                    listener.onError(UpstreamException.badResponse(provider, status, "a stream event could not be handled"));
                } catch (RuntimeException again) {
                    LOG.warn("Stream listener failed on the error as well", again);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void onError(Throwable failure) {
        bodyRead();
        end(UpstreamException.streamBroken(provider, status, describe(failure)));
    }

    @Override
    public void onComplete() {
        bodyRead();
        end(UpstreamException.streamBroken(provider, status, "the stream ended before its last event"));
    }

    /** The exchange failed: before the response headers, this is a failed call; after them, a broken stream. */
    private void failed(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof CancellationException) {
            return;
        }
        bodyRead();
        if (status != 0) {
            end(UpstreamException.streamBroken(provider, status, describe(cause)));
        } else if (cause instanceof IOException io) {
            end(UpstreamException.ioFailure(provider, io));
        } else {
            end(UpstreamException.unreachable(provider, UpstreamException.describe(cause)));
        }
    }

    /** Ends the stream with this error unless it already ended. */
    private void end(UpstreamException error) {
        lock.lock();
        try {
            if (!ended) {
                ended = true;
                listener.onError(error);
            }
        } finally {
            lock.unlock();
        }
    }

    private void scheduleIdleCheck(long delayNanos) {
        idleCheck = timers.schedule(this::checkIdle, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void checkIdle() {
        if (bodyDone) {
            return;
        }
        long idle = System.nanoTime() - lastActivity;
        if (idle < idleTimeoutNanos) {
            scheduleIdleCheck(idleTimeoutNanos - idle);
            return;
        }
        if (ended) {
            // The end event came but the upstream never finished the body.
            abandon();
            return;
        }
        // A listener call under way means the stream is busy, not idle; the timer thread must not wait for it.
        if (!lock.tryLock()) {
            scheduleIdleCheck(idleTimeoutNanos);
            return;
        }
        try {
            if (!ended) {
                ended = true;
                listener.onError(UpstreamException.timeout(provider));
            }
        } finally {
            lock.unlock();
        }
        abandon();
    }

    /** The body is over, one way or another: nothing left to time. */
    private void bodyRead() {
        bodyDone = true;
        ScheduledFuture<?> check = idleCheck;
        if (check != null) {
            check.cancel(false);
        }
    }

    /** Stops reading and closes the connection. */
    private void abandon() {
        bodyRead();
        Flow.Subscription current = subscription;
        if (current != null) {
            current.cancel();
        }
        CompletableFuture<?> call = exchange;
        if (call != null) {
            call.cancel(true);
        }
    }

    @Override
    public void cancel() {
        ended = true;
        abandon();
    }

    private static String describe(Throwable failure) {
        return "the connection failed (" + UpstreamException.describe(failure) + ")";
    }

    /** Passes the protocol's chunks and usage on, and nothing once the stream ended. */
    private final class Output implements StreamProtocol.Output {
        @Override
        public void chunk(ObjectNode chunk) {
            if (!ended) {
                listener.onChunk(chunk);
            }
        }

        @Override
        public void usage(TokenUsage usage) {
            if (!ended) {
                listener.onUsage(usage);
            }
        }
    }
}
