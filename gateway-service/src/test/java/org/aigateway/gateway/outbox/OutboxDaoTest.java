package org.aigateway.gateway.outbox;

import com.fasterxml.jackson.databind.JsonNode;
import org.aigateway.gateway.GatewayApplication;
import org.aigateway.gateway.GenericPlans;
import org.aigateway.support.testing.TestDatabase;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.reflect.ConstructorMapper;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.aigateway.gateway.GenericPlans.indexesUsed;
import static org.aigateway.gateway.GenericPlans.nodeTypes;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The relay's read of unsent rows and its delete of confirmed ones: their order and exactness, and that their cost
 * does not grow with the backlog.
 */
class OutboxDaoTest {
    private static final TestDatabase DB = TestDatabase.migrated("gateway_outbox_dao", GatewayApplication.CHANGELOG);
    private static final int BACKLOG = 20_000;

    private static Jdbi jdbi;
    private static OutboxDao outbox;

    @BeforeAll
    static void setUp() {
        jdbi = Jdbi.create(DB.url(), DB.user(), DB.password()).installPlugin(new SqlObjectPlugin());
        outbox = jdbi.onDemand(OutboxDao.class);
        // Many transactions, so txid and id orders are both exercised; statistics as autovacuum would leave them.
        for (int transaction = 0; transaction < 20; transaction++) {
            List<OutboxMessage> rows = new ArrayList<>();
            for (int i = 0; i < BACKLOG / 20; i++) {
                rows.add(OutboxMessage.unsaved(UUID.randomUUID(), "usage", "{\"n\":" + i + "}"));
            }
            outbox.insert(rows);
        }
        jdbi.useHandle(handle -> handle.execute("ANALYZE outbox"));
    }

    @AfterAll
    static void tearDown() {
        DB.close();
    }

    @Test
    void pagesThroughTheBacklogInTransactionOrderWithoutRepeatsOrGaps() {
        List<OutboxMessage> seen = new ArrayList<>();
        long txid = 0;
        long id = 0;
        List<OutboxMessage> page;
        do {
            page = outbox.unsentAfter(txid, id, 1_500);
            seen.addAll(page);
            if (!page.isEmpty()) {
                txid = page.get(page.size() - 1).txid();
                id = page.get(page.size() - 1).id();
            }
        } while (!page.isEmpty());

        assertThat(seen).hasSize(BACKLOG);
        assertThat(seen.stream().map(OutboxMessage::id).distinct()).hasSize(BACKLOG);
        for (int i = 1; i < seen.size(); i++) {
            OutboxMessage before = seen.get(i - 1);
            OutboxMessage after = seen.get(i);
            assertThat(after.txid() > before.txid() || (after.txid() == before.txid() && after.id() > before.id()))
                    .as("row %d after row %d", after.id(), before.id()).isTrue();
        }
    }

    @Test
    void readsAPageFromTheIndexInsteadOfSortingTheWholeBacklog() throws Exception {
        String sql = OutboxDao.class.getMethod("unsentAfter", long.class, long.class, int.class)
                .getAnnotation(SqlQuery.class).value();
        JsonNode top = GenericPlans.of(jdbi, sql, List.of("bigint", "bigint", "integer"), List.of("0", "0", "500"));

        assertThat(nodeTypes(top)).as(top.toString()).doesNotContain("Sort", "Incremental Sort").contains("Limit");
        assertThat(indexesUsed(top)).as(top.toString()).containsExactly("outbox_pkey");
    }

    @Test
    void deletesExactlyTheConfirmedRowsByTheirPosition() {
        outbox.insert(List.of(OutboxMessage.unsaved(UUID.randomUUID(), "delete-test", "{}"),
                OutboxMessage.unsaved(UUID.randomUUID(), "delete-test", "{}")));
        outbox.insert(List.of(OutboxMessage.unsaved(UUID.randomUUID(), "delete-test", "{}")));
        List<OutboxMessage> rows = jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT txid::text::bigint AS txid, id, event_id, routing_key, payload FROM outbox "
                                + "WHERE routing_key = 'delete-test' ORDER BY txid, id")
                .map(ConstructorMapper.of(OutboxMessage.class)).list());
        OutboxMessage first = rows.get(0);
        OutboxMessage second = rows.get(1);
        OutboxMessage third = rows.get(2);
        assertThat(second.txid()).isEqualTo(first.txid());
        assertThat(third.txid()).isNotEqualTo(first.txid());
        long serverStarted = outbox.horizon().serverStarted();
        try {
            // On another server (a restore, a failover) the same positions may name other rows: nothing is deleted.
            assertThat(outbox.deleteSent(new long[] {first.txid()}, new long[] {first.id()}, serverStarted - 1))
                    .isZero();
            assertThat(remaining()).containsExactly(first.id(), second.id(), third.id());
            // The third row's transaction with the first row's id is no row at all.
            int deleted = outbox.deleteSent(new long[] {first.txid(), third.txid()},
                    new long[] {second.id(), first.id()}, serverStarted);

            assertThat(deleted).isEqualTo(1);
            assertThat(remaining()).containsExactly(first.id(), third.id());
            assertThat(outbox.deleteSent(new long[] {first.txid(), third.txid()}, new long[] {first.id(), third.id()},
                    serverStarted)).isEqualTo(2);
            assertThat(remaining()).isEmpty();
        } finally {
            // The paging test reads the whole table and expects only its backlog.
            jdbi.useHandle(handle -> handle.execute("DELETE FROM outbox WHERE routing_key = 'delete-test'"));
        }
    }

    @Test
    void deletesFromTheIndexWhateverTheBacklog() throws Exception {
        String sql = OutboxDao.class.getMethod("deleteSent", long[].class, long[].class, long.class)
                .getAnnotation(SqlUpdate.class).value();
        JsonNode top = GenericPlans.of(jdbi, sql, List.of("bigint[]", "bigint[]", "bigint"),
                List.of("'{1,2}'", "'{1,2}'", "0"));

        assertThat(nodeTypes(top)).as(top.toString()).doesNotContain("Seq Scan", "Hash Join", "Sort");
        assertThat(indexesUsed(top)).as(top.toString()).containsExactly("outbox_pkey");
    }

    private static List<Long> remaining() {
        return jdbi.withHandle(handle -> handle.createQuery(
                "SELECT id FROM outbox WHERE routing_key = 'delete-test' ORDER BY id").mapTo(Long.class).list());
    }
}
