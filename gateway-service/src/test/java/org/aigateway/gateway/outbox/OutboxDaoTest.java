package org.aigateway.gateway.outbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.aigateway.gateway.GatewayApplication;
import org.aigateway.support.testing.TestDatabase;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The relay's read of unsent rows: its order, and that its cost does not grow with the backlog. */
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
        String plan = jdbi.withHandle(handle -> handle.createQuery("EXPLAIN (FORMAT JSON) " + sql)
                .bind("afterTxid", 0L).bind("afterId", 0L).bind("limit", 500)
                .mapTo(String.class).one());
        JsonNode top = new ObjectMapper().readTree(plan).get(0).get("Plan");

        assertThat(nodeTypes(top)).as(plan).doesNotContain("Sort", "Incremental Sort").contains("Limit");
        assertThat(indexesUsed(top)).as(plan).containsExactly("outbox_unsent_idx");
    }

    private static List<String> nodeTypes(JsonNode node) {
        List<String> types = new ArrayList<>();
        types.add(node.get("Node Type").asText());
        node.path("Plans").forEach(child -> types.addAll(nodeTypes(child)));
        return types;
    }

    private static List<String> indexesUsed(JsonNode node) {
        List<String> indexes = new ArrayList<>();
        if (node.has("Index Name")) {
            indexes.add(node.get("Index Name").asText());
        }
        node.path("Plans").forEach(child -> indexes.addAll(indexesUsed(child)));
        return indexes;
    }
}
