package org.aigateway.support.server;

import io.dropwizard.lifecycle.ServerLifecycleListener;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Lets the server's thread pools shrink back to their minimum within one {@code server.idleThreadTimeout} after a
 * burst. By default Jetty lets a pool lose at most one thread per idle timeout, so a pool that a burst (thousands of
 * streams opening at once, a spike of slow requests) grew to 450 threads kept them for hours. While it did, clients at
 * concurrency 16 saw requests take up to 0.6 s (p99 240 to 400 ms) that the server itself handled in under 40 ms;
 * once the pool had shrunk, p99 was 13 ms again.
 */
public final class IdleThreadEviction implements ServerLifecycleListener {
    @Override
    public void serverStarted(Server server) {
        for (QueuedThreadPool pool : pools(server)) {
            pool.setMaxEvictCount(Math.max(1, pool.getMaxThreads() - pool.getMinThreads()));
        }
    }

    private static Set<QueuedThreadPool> pools(Server server) {
        Set<QueuedThreadPool> pools = new LinkedHashSet<>();
        if (server.getThreadPool() instanceof QueuedThreadPool pool) {
            pools.add(pool);
        }
        for (Connector connector : server.getConnectors()) {
            if (connector.getExecutor() instanceof QueuedThreadPool pool) {
                pools.add(pool);
            }
        }
        return pools;
    }
}
