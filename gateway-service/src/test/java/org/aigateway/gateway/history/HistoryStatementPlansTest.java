package org.aigateway.gateway.history;

import com.fasterxml.jackson.databind.JsonNode;
import org.aigateway.gateway.GatewayApplication;
import org.aigateway.gateway.GenericPlans;
import org.aigateway.gateway.history.RequestHistoryDao.Closing;
import org.aigateway.gateway.history.RequestHistoryDao.Outcome;
import org.aigateway.gateway.history.RequestHistoryDao.Pending;
import org.aigateway.support.testing.TestDatabase;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.aigateway.gateway.GenericPlans.indexesUsed;
import static org.aigateway.gateway.GenericPlans.nodeTypes;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The plan of the statement that closes requests, as the gateway's connections keep it: one for any number of rows.
 * Statistics are those of a busy table: many closed rows and next to no pending ones. (The opening only inserts.)
 */
class HistoryStatementPlansTest {
    private static final TestDatabase DB = TestDatabase.migrated("gateway_history_plans", GatewayApplication.CHANGELOG);
    private static final int CLOSED = 5_000;

    private static Jdbi jdbi;

    @BeforeAll
    static void setUp() {
        jdbi = Jdbi.create(DB.url(), DB.user(), DB.password());
        List<Pending> opened = new ArrayList<>();
        for (int i = 0; i < CLOSED; i++) {
            opened.add(new Pending(UUID.randomUUID(), Instant.now(), "user-" + i % 50, null, null, "mock", "mock-1",
                    "mock-1", "chat.completion", false, "{}", "test"));
        }
        List<Closing> closings = opened.stream().map(pending -> new Closing(new Outcome(pending.id(), "success", "{}",
                null, 200, 200, 1, 1, 2, 0, 0, BigDecimal.ONE, 1, null), List.of())).toList();
        jdbi.useHandle(handle -> {
            RequestHistoryDao.openAll(handle, opened, true);
            RequestHistoryDao.closeAll(handle, closings);
            handle.execute("ANALYZE request_history");
        });
    }

    @AfterAll
    static void tearDown() {
        DB.close();
    }

    @Test
    void closingFindsItsRowsByTheirIdsNotThroughEveryPendingRow() {
        JsonNode top = GenericPlans.of(jdbi, RequestHistoryDao.CLOSE_ALL, Collections.nCopies(18, "text[]"),
                Collections.nCopies(18, "'{}'"));

        assertThat(indexesUsed(top)).as(top.toString()).contains("request_history_pkey")
                .doesNotContain("request_history_pending_idx");
        assertThat(nodeTypes(top)).as(top.toString()).doesNotContain("Seq Scan");
    }

    @Test
    void closingStillClosesOnlyPendingRows() {
        UUID id = UUID.randomUUID();
        Pending pending = new Pending(id, Instant.now(), "user-again", null, null, "mock", "mock-1", "mock-1",
                "chat.completion", false, "{}", "test");
        Closing closing = new Closing(new Outcome(id, "success", "{}", null, 200, 200, 1, 1, 2, 0, 0, BigDecimal.ONE, 1,
                null), List.of());
        jdbi.useHandle(handle -> RequestHistoryDao.openAll(handle, List.of(pending), true));

        Set<UUID> first = jdbi.withHandle(handle -> RequestHistoryDao.closeAll(handle, List.of(closing)));
        Set<UUID> second = jdbi.withHandle(handle -> RequestHistoryDao.closeAll(handle, List.of(closing)));

        assertThat(first).containsExactly(id);
        assertThat(second).isEmpty();
    }
}
