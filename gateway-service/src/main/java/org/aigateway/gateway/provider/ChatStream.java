package org.aigateway.gateway.provider;

/** A running streaming completion. */
public interface ChatStream {
    /**
     * Stops reading the upstream (the client went away). No further listener call follows except, possibly, one
     * already under way. Idempotent.
     */
    void cancel();
}
