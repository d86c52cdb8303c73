package org.aigateway.analytics.events;

import org.aigateway.analytics.performance.PerformanceDao;
import org.aigateway.analytics.performance.PerformanceSample;
import org.aigateway.analytics.usage.UsageAggregator;
import org.aigateway.analytics.usage.UsageDao;
import org.jdbi.v3.sqlobject.CreateSqlObject;
import org.jdbi.v3.sqlobject.transaction.Transaction;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Stores a batch of events and everything derived from them in one transaction. */
public interface IngestDao {
    @CreateSqlObject
    EventDao events();

    @CreateSqlObject
    UsageDao usage();

    @CreateSqlObject
    PerformanceDao performance();

    /**
     * Only events whose id was not stored before reach the aggregates, which is what makes a redelivered message
     * count once. Every write goes in a fixed key order (see {@link IncomingEvent#LOCK_ORDER}).
     */
    @Transaction
    default IngestResult ingest(List<IncomingEvent> batch) {
        List<IncomingEvent> ordered = IncomingEvent.distinctInLockOrder(batch);
        Set<UUID> inserted = new HashSet<>(events().insertNew(EventRows.toJson(ordered)));
        List<IncomingEvent> fresh = ordered.stream().filter(e -> inserted.contains(e.eventId())).toList();

        UsageAggregator.UsageDeltas deltas = UsageAggregator.aggregate(fresh);
        if (!deltas.users().isEmpty()) {
            usage().addUserTotals(deltas.users());
            usage().addDailyUsage(deltas.days());
        }
        List<PerformanceSample> samples = PerformanceSample.of(fresh);
        if (!samples.isEmpty()) {
            performance().insert(samples);
        }
        return new IngestResult(fresh.size(), batch.size() - fresh.size());
    }

    /** How many events of a batch were new, and how many had been stored before. */
    record IngestResult(int stored, int duplicates) {
    }
}
