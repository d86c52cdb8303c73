package org.aigateway.analytics.usage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aigateway.analytics.Money;
import org.aigateway.analytics.events.IncomingEvent;
import org.aigateway.contracts.EventJson;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Folds a batch of newly stored events into one delta per user and one per user and day, in key order. */
// One upsert per key instead of one per event keeps the batch short; the fixed order is what keeps two consumers
// updating the same users from deadlocking.
public final class UsageAggregator {
    /** The breakdown key for a request that names no model or provider. */
    public static final String UNKNOWN = "unknown";

    private static final ObjectMapper MAPPER = EventJson.newMapper();

    private UsageAggregator() {
    }

    /** The deltas of the usage events among {@code events}; other event types add nothing. */
    public static UsageDeltas aggregate(List<IncomingEvent> events) {
        Map<String, Sums> users = new TreeMap<>();
        Map<DayKey, Sums> days = new TreeMap<>();
        for (IncomingEvent event : events) {
            if (!event.countsAsUsage()) {
                continue;
            }
            users.computeIfAbsent(event.userId(), k -> new Sums()).add(event);
            days.computeIfAbsent(new DayKey(event.userId(), event.usageDate()), k -> new Sums()).add(event);
        }
        return new UsageDeltas(
                users.entrySet().stream().map(e -> e.getValue().toUserDelta(e.getKey())).toList(),
                days.entrySet().stream().map(e -> e.getValue().toDailyDelta(e.getKey())).toList());
    }

    /** Both lists are sorted by key; write them in that order. */
    public record UsageDeltas(List<UserTotalsDelta> users, List<DailyUsageDelta> days) {
    }

    private record DayKey(String userId, LocalDate date) implements Comparable<DayKey> {
        @Override
        public int compareTo(DayKey other) {
            int byUser = userId.compareTo(other.userId);
            return byUser != 0 ? byUser : date.compareTo(other.date);
        }
    }

    private static final class Sums {
        long requests;
        long successful;
        long totalTokens;
        long promptTokens;
        long completionTokens;
        long cachedTokens;
        long responseTimeMs;
        BigDecimal cost = BigDecimal.ZERO;
        Instant first;
        Instant last;
        final Map<String, Breakdown> models = new TreeMap<>();
        final Map<String, Breakdown> providers = new TreeMap<>();

        void add(IncomingEvent event) {
            var p = event.properties();
            long tokens = orZero(event.totalTokens());
            BigDecimal eventCost = event.costOrZero();
            requests++;
            successful += event.succeeded() ? 1 : 0;
            totalTokens = Math.addExact(totalTokens, tokens);
            promptTokens = Math.addExact(promptTokens, orZero(p.promptTokens()));
            completionTokens = Math.addExact(completionTokens, orZero(p.completionTokens()));
            cachedTokens = Math.addExact(cachedTokens, orZero(p.cachedTokens()));
            responseTimeMs = Math.addExact(responseTimeMs, orZero(p.responseTime()));
            cost = cost.add(eventCost);
            first = first == null || event.occurredAt().isBefore(first) ? event.occurredAt() : first;
            last = last == null || event.occurredAt().isAfter(last) ? event.occurredAt() : last;
            models.computeIfAbsent(keyOf(p.model()), k -> new Breakdown()).add(tokens, eventCost);
            providers.computeIfAbsent(keyOf(p.provider()), k -> new Breakdown()).add(tokens, eventCost);
        }

        UserTotalsDelta toUserDelta(String userId) {
            return new UserTotalsDelta(userId, requests, successful, requests - successful, totalTokens,
                    promptTokens, completionTokens, cachedTokens, cost, responseTimeMs, first, last);
        }

        DailyUsageDelta toDailyDelta(DayKey key) {
            return new DailyUsageDelta(key.userId(), key.date(), requests, successful, requests - successful,
                    totalTokens, promptTokens, completionTokens, cost, json(models), json(providers));
        }
    }

    private static final class Breakdown {
        long requests;
        long tokens;
        BigDecimal cost = BigDecimal.ZERO;

        void add(long eventTokens, BigDecimal eventCost) {
            requests++;
            tokens = Math.addExact(tokens, eventTokens);
            cost = cost.add(eventCost);
        }
    }

    private static String json(Map<String, Breakdown> breakdowns) {
        ObjectNode object = JsonNodeFactory.instance.objectNode();
        breakdowns.forEach((key, b) -> object.putObject(key)
                .put("requests", b.requests)
                .put("tokens", b.tokens)
                .put("cost", Money.of(b.cost).toPlainString()));
        try {
            return MAPPER.writeValueAsString(object);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a usage breakdown", e);
        }
    }

    private static String keyOf(String name) {
        return name == null || name.isEmpty() ? UNKNOWN : name;
    }

    private static long orZero(Long value) {
        return value == null ? 0 : value;
    }
}
