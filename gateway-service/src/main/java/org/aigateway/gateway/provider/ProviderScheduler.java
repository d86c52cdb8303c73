package org.aigateway.gateway.provider;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The one small timer pool a provider shares among all its streams: no stream owns or blocks a thread. */
final class ProviderScheduler {
    private static final long IDLE_THREAD_SECONDS = 30;

    private ProviderScheduler() {
    }

    static ScheduledExecutorService create(String provider, int threads) {
        AtomicInteger count = new AtomicInteger();
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(threads, runnable -> {
            Thread thread = new Thread(runnable, "provider-" + provider + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        // Cancelled timers (a stream that ended early) leave the queue at once instead of at their due time.
        executor.setRemoveOnCancelPolicy(true);
        // Providers live as long as the application and are never shut down: idle pools give their threads back.
        executor.setKeepAliveTime(IDLE_THREAD_SECONDS, TimeUnit.SECONDS);
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }
}
