package org.aigateway.e2e;

import org.aigateway.analytics.AnalyticsApplication;
import org.aigateway.e2e.RunningPipeline.CommandResult;
import org.aigateway.gateway.GatewayApplication;
import org.aigateway.support.testing.TestDatabase;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The reconcile command compares request history with analytics per user and UTC day, and says so by its exit code. */
class ReconcileCommandTest {
    private static final LocalDate DAY_ONE = LocalDate.parse("2025-06-30");
    private static final LocalDate DAY_TWO = DAY_ONE.plusDays(1);

    private TestDatabase gatewayDb;
    private TestDatabase analyticsDb;
    private Jdbi gateway;
    private Jdbi analytics;

    @BeforeEach
    void agreeingHistoryAndAnalytics() {
        gatewayDb = TestDatabase.migrated("reconcile_gateway", GatewayApplication.CHANGELOG);
        analyticsDb = TestDatabase.migrated("reconcile_analytics", AnalyticsApplication.CHANGELOG);
        gateway = Jdbi.create(gatewayDb.url(), gatewayDb.user(), gatewayDb.password());
        analytics = Jdbi.create(analyticsDb.url(), analyticsDb.user(), analyticsDb.password());

        // alice: two successes late on day one (UTC), one error just after midnight; bob: one aborted request.
        request("alice", DAY_ONE.atTime(23, 59, 58).atOffset(ZoneOffset.UTC), "success", 10, "0.000010000001");
        request("alice", DAY_ONE.atTime(23, 59, 59).atOffset(ZoneOffset.UTC), "success", 20, "0.00002");
        request("alice", DAY_TWO.atTime(0, 0, 1).atOffset(ZoneOffset.UTC), "error", 0, "0");
        request("bob", DAY_TWO.atTime(12, 0).atOffset(ZoneOffset.UTC), "aborted", 0, "0");
        // Still running: analytics has not heard of it, and it is not compared.
        request("bob", DAY_TWO.atTime(12, 1).atOffset(ZoneOffset.UTC), "pending", 0, null);

        day("alice", DAY_ONE, 2, 2, 30, "0.000030000001");
        day("alice", DAY_TWO, 1, 0, 0, "0");
        day("bob", DAY_TWO, 1, 0, 0, "0");
        user("alice", 3, 2, 30, "0.000030000001000");
        user("bob", 1, 0, 0, "0");
    }

    @AfterEach
    void drop() {
        gatewayDb.close();
        analyticsDb.close();
    }

    @Test
    void agreementExitsZeroWithOneSummaryLine() throws Exception {
        CommandResult result = RunningPipeline.reconcileCommand(gatewayDb, analyticsDb);

        assertThat(result.exitCode()).isZero();
        assertThat(result.stdout()).isEqualTo("history and analytics agree: 2 users, 3 user-days, 4 requests "
                + "(2 successful), 30 tokens, cost 0.000030000001; 1 requests still pending, not compared");
    }

    @Test
    void everyDifferenceIsPrintedAndTheExitCodeIsNonZero() throws Exception {
        analytics.useHandle(h -> {
            h.execute("UPDATE user_usage_history SET total_tokens = 29, total_cost = 0.00003 "
                    + "WHERE user_id = 'alice' AND usage_date = ?", DAY_ONE);
            h.execute("DELETE FROM user_usage_history WHERE user_id = 'bob'");
            h.execute("UPDATE user_analytics SET total_requests = 4 WHERE user_id = 'alice'");
            h.execute("INSERT INTO user_usage_history (user_id, usage_date, total_requests) VALUES ('mallory', ?, 1)",
                    DAY_ONE);
        });

        CommandResult result = RunningPipeline.reconcileCommand(gatewayDb, analyticsDb);

        assertThat(result.exitCode()).isNotZero();
        assertThat(result.stdout().lines()).containsExactly(
                "user alice day 2025-06-30: tokens gateway=30 analytics=29, cost gateway=0.000030000001 analytics=0.00003",
                "user bob day 2025-07-01: requests gateway=1 analytics=0",
                "user mallory day 2025-06-30: requests gateway=0 analytics=1",
                "user alice total: requests gateway=3 analytics=4");
    }

    private void request(String user, OffsetDateTime at, String status, long tokens, String cost) {
        gateway.useHandle(h -> h.createUpdate("INSERT INTO request_history (id, user_id, provider, model, request_type, "
                        + "status, total_tokens, cost, created_at) VALUES (:id, :user, 'mock', 'mock-1', 'chat.completion', "
                        + ":status, :tokens, :cost, :at)")
                .bind("id", UUID.randomUUID()).bind("user", user).bind("status", status).bind("tokens", tokens)
                .bind("cost", cost == null ? null : new BigDecimal(cost)).bind("at", at)
                .execute());
    }

    private void day(String user, LocalDate day, long requests, long successful, long tokens, String cost) {
        analytics.useHandle(h -> h.createUpdate("INSERT INTO user_usage_history (user_id, usage_date, total_requests, "
                        + "successful_requests, failed_requests, total_tokens, total_cost) VALUES (:user, :day, "
                        + ":requests, :successful, :failed, :tokens, :cost)")
                .bind("user", user).bind("day", day).bind("requests", requests).bind("successful", successful)
                .bind("failed", requests - successful).bind("tokens", tokens).bind("cost", new BigDecimal(cost))
                .execute());
    }

    private void user(String user, long requests, long successful, long tokens, String cost) {
        analytics.useHandle(h -> h.createUpdate("INSERT INTO user_analytics (user_id, total_requests, "
                        + "successful_requests, failed_requests, total_tokens, total_cost) VALUES (:user, :requests, "
                        + ":successful, :failed, :tokens, :cost)")
                .bind("user", user).bind("requests", requests).bind("successful", successful)
                .bind("failed", requests - successful).bind("tokens", tokens).bind("cost", new BigDecimal(cost))
                .execute());
    }
}
