package org.aigateway.analytics.consumer;

import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;

/** The consumer's metrics, shared by its queue workers. */
public record ConsumerMetrics(Meter consumed, Meter duplicatesSkipped, Meter retried, Meter deadLettered,
                              Meter databasePauses, Histogram batchSize, Timer batchTime) {

    public static ConsumerMetrics register(MetricRegistry registry) {
        return new ConsumerMetrics(
                registry.meter(name("consumed")),
                registry.meter(name("duplicates-skipped")),
                registry.meter(name("retried")),
                registry.meter(name("dead-lettered")),
                registry.meter(name("database-pauses")),
                registry.histogram(name("batch-size")),
                registry.timer(name("batch-time")));
    }

    private static String name(String metric) {
        return MetricRegistry.name(EventConsumer.class, metric);
    }
}
