package org.aigateway.analytics.reconcile;

import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.result.RowView;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compares the gateway's closed {@code request_history} rows with what analytics counted: per user and UTC day
 * against {@code user_usage_history}, and per user against {@code user_analytics}. Rows still pending are left out,
 * as analytics has not been told about them yet.
 */
public class Reconciliation {
    private static final String HISTORY_SUMS = "count(*) AS requests, count(*) FILTER (WHERE status = 'success') "
            + "AS successful, coalesce(sum(total_tokens), 0) AS tokens, coalesce(sum(cost), 0) AS cost";

    private final Jdbi gateway;
    private final Jdbi analytics;

    public Reconciliation(Jdbi gateway, Jdbi analytics) {
        this.gateway = gateway;
        this.analytics = analytics;
    }

    /** One line per difference, and what was compared. */
    public record Report(List<String> differences, int users, int userDays, Usage total, long pending) {
        public boolean agrees() {
            return differences.isEmpty();
        }

        public String summary() {
            return String.format("history and analytics agree: %d users, %d user-days, %d requests (%d successful), "
                            + "%d tokens, cost %s; %d requests still pending, not compared", users, userDays,
                    total.requests(), total.successful(), total.tokens(),
                    total.cost().stripTrailingZeros().toPlainString(), pending);
        }
    }

    private record UserDay(String userId, LocalDate day) implements Comparable<UserDay> {
        @Override
        public int compareTo(UserDay other) {
            int byUser = userId.compareTo(other.userId);
            return byUser != 0 ? byUser : day.compareTo(other.day);
        }
    }

    public Report run() {
        Map<UserDay, Usage> historyDays = gateway.withHandle(h -> h.createQuery("SELECT user_id, "
                        + "(created_at AT TIME ZONE 'UTC')::date AS day, " + HISTORY_SUMS + " FROM request_history "
                        + "WHERE status <> 'pending' GROUP BY 1, 2")
                .reduceRows(new TreeMap<>(), (map, row) -> {
                    map.put(new UserDay(row.getColumn("user_id", String.class), row.getColumn("day", LocalDate.class)),
                            usage(row, "requests", "successful", "tokens", "cost"));
                    return map;
                }));
        Map<UserDay, Usage> analyticsDays = analytics.withHandle(h -> h.createQuery("SELECT user_id, usage_date, "
                        + "total_requests, successful_requests, total_tokens, total_cost FROM user_usage_history")
                .reduceRows(new TreeMap<>(), (map, row) -> {
                    map.put(new UserDay(row.getColumn("user_id", String.class),
                                    row.getColumn("usage_date", LocalDate.class)),
                            usage(row, "total_requests", "successful_requests", "total_tokens", "total_cost"));
                    return map;
                }));
        Map<String, Usage> historyUsers = gateway.withHandle(h -> h.createQuery("SELECT user_id, " + HISTORY_SUMS
                        + " FROM request_history WHERE status <> 'pending' GROUP BY 1")
                .reduceRows(new TreeMap<>(), (map, row) -> {
                    map.put(row.getColumn("user_id", String.class), usage(row, "requests", "successful", "tokens", "cost"));
                    return map;
                }));
        Map<String, Usage> analyticsUsers = analytics.withHandle(h -> h.createQuery("SELECT user_id, total_requests, "
                        + "successful_requests, total_tokens, total_cost FROM user_analytics")
                .reduceRows(new TreeMap<>(), (map, row) -> {
                    map.put(row.getColumn("user_id", String.class),
                            usage(row, "total_requests", "successful_requests", "total_tokens", "total_cost"));
                    return map;
                }));
        long pending = gateway.withHandle(h -> h.createQuery(
                "SELECT count(*) FROM request_history WHERE status = 'pending'").mapTo(Long.class).one());

        List<String> differences = new ArrayList<>();
        for (UserDay key : new TreeSet<>(union(historyDays, analyticsDays))) {
            Usage history = historyDays.getOrDefault(key, Usage.NONE);
            Usage counted = analyticsDays.getOrDefault(key, Usage.NONE);
            // A day on which nothing happened on either side is no difference (a zero row is still zero).
            if (!history.sameAs(counted)) {
                differences.add("user " + key.userId() + " day " + key.day() + ": " + history.describeDifference(counted));
            }
        }
        for (String user : new TreeSet<>(union(historyUsers, analyticsUsers))) {
            Usage history = historyUsers.getOrDefault(user, Usage.NONE);
            Usage counted = analyticsUsers.getOrDefault(user, Usage.NONE);
            if (!history.sameAs(counted)) {
                differences.add("user " + user + " total: " + history.describeDifference(counted));
            }
        }
        Usage total = historyUsers.values().stream().reduce(Usage.NONE, (a, b) -> new Usage(a.requests() + b.requests(),
                a.successful() + b.successful(), a.tokens() + b.tokens(), a.cost().add(b.cost())));
        return new Report(differences, historyUsers.size(), historyDays.size(), total, pending);
    }

    private static <K> TreeSet<K> union(Map<K, ?> left, Map<K, ?> right) {
        TreeSet<K> keys = new TreeSet<>(left.keySet());
        keys.addAll(right.keySet());
        return keys;
    }

    private static Usage usage(RowView row, String requests, String successful, String tokens, String cost) {
        return new Usage(row.getColumn(requests, Long.class), row.getColumn(successful, Long.class),
                row.getColumn(tokens, Long.class), row.getColumn(cost, BigDecimal.class));
    }
}
