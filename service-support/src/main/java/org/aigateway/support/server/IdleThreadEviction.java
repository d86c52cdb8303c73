package org.aigateway.support.server;

import io.dropwizard.lifecycle.ServerLifecycleListener;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Lets each of the server's thread pools drop all its excess threads once one idle timeout has passed since it last
 * had to add one, instead of one thread per idle timeout (Jetty's default): a pool that a burst grew to hundreds of
 * threads would keep them for hours, and while it did, requests waited far longer before the server read them
 * (docs/benchmarks.md, part 4).
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
