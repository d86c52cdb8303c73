package org.aigateway.gateway.auth;

import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import org.aigateway.gateway.outbox.OutboxDao;
import org.aigateway.gateway.outbox.RequestEvents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Queues a critical event for refused credentials, at most {@code perSecond} a second: a flood of bad keys must not
 * turn into a flood of database writes. Refusals over the limit are only counted in the metrics.
 */
public class AuthFailureAlerts {
    private static final Logger LOG = LoggerFactory.getLogger(AuthFailureAlerts.class);

    private final OutboxDao outbox;
    private final RequestEvents events;
    private final Runnable eventsQueued;
    private final int perSecond;
    private final Meter refused;
    private final Meter suppressed;
    private long windowSecond;
    private int inWindow;

    public AuthFailureAlerts(OutboxDao outbox, RequestEvents events, Runnable eventsQueued, int perSecond,
                             MetricRegistry metrics) {
        this.outbox = outbox;
        this.events = events;
        this.eventsQueued = eventsQueued;
        this.perSecond = perSecond;
        this.refused = metrics.meter("auth.refused");
        this.suppressed = metrics.meter("auth.refused.alerts-suppressed");
    }

    public void refused(String reason) {
        refused.mark();
        if (!withinRate()) {
            suppressed.mark();
            return;
        }
        try {
            outbox.insert(List.of(events.authenticationFailed(reason)));
            eventsQueued.run();
        } catch (RuntimeException e) {
            // The 401 matters more than its alert; never turn a refusal into a 500.
            LOG.warn("Could not queue the authentication-failure alert ({})", e.toString());
        }
    }

    private synchronized boolean withinRate() {
        long second = System.currentTimeMillis() / 1000;
        if (second != windowSecond) {
            windowSecond = second;
            inWindow = 0;
        }
        return inWindow++ < perSecond;
    }
}
