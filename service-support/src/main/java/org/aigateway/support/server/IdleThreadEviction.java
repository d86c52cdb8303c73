package org.aigateway.support.server;

import io.dropwizard.lifecycle.ServerLifecycleListener;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.util.concurrent.Executor;

/**
 * Lets each of the server's thread pools drop all its excess threads once one idle timeout has passed since it last
 * had to add one, instead of one thread per idle timeout (Jetty's default): a pool that a burst grew to hundreds of
 * threads would keep them for hours, and while it did, requests waited far longer before the server read them
 * (docs/benchmarks.md, part 4).
 */
public final class IdleThreadEviction implements ServerLifecycleListener {
    @Override
    public void serverStarted(Server server) {
        letShrink(server.getThreadPool());
        for (Connector connector : server.getConnectors()) {
            letShrink(connector.getExecutor());
        }
    }

    private static void letShrink(Executor executor) {
        if (executor instanceof QueuedThreadPool pool) {
            pool.setMaxEvictCount(Math.max(1, pool.getMaxThreads() - pool.getMinThreads()));
        }
    }
}
