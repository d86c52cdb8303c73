package org.aigateway.gateway.outbox;

import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlBatch;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

import java.time.Instant;
import java.util.Collection;
import java.util.List;

/** The {@code outbox} table: events written in the same transaction as the history they describe. */
@RegisterConstructorMapper(OutboxMessage.class)
public interface OutboxDao {
    @SqlBatch("INSERT INTO outbox (event_id, routing_key, payload) VALUES (:eventId, :routingKey, :payload)")
    void insert(@BindMethods Collection<OutboxMessage> messages);

    /**
     * Unsent rows after a position, in (txid, id) order, only from transactions older than every transaction still
     * running: no row can later appear before the last one returned, so a reader that moves its position forward
     * never skips one.
     */
    // Ordered by the qualified columns: a bare "txid" would name the bigint output column, which no index has, and
    // every read would sort the whole backlog.
    @SqlQuery("SELECT o.txid::text::bigint AS txid, o.id, o.event_id, o.routing_key, o.payload FROM outbox o "
            + "WHERE o.txid < pg_snapshot_xmin(pg_current_snapshot()) "
            + "AND (o.txid, o.id) > (CAST(CAST(:afterTxid AS text) AS xid8), :afterId) ORDER BY o.txid, o.id "
            + "LIMIT :limit")
    List<OutboxMessage> unsentAfter(@Bind("afterTxid") long afterTxid, @Bind("afterId") long afterId,
                                    @Bind("limit") int limit);

    /** When the database's server (its postmaster) started, in microseconds since the epoch. */
    String SERVER_STARTED = "CAST(extract(epoch FROM pg_postmaster_start_time()) * 1000000 AS bigint)";

    /**
     * Removes rows the broker confirmed, found by their position (writing transaction, row id), the outbox's one index,
     * and only on the server that started at {@code serverStarted} (see {@link #horizon}): after a restore or a
     * failover the same position may name another row. A delete writes no new row version and no index entries, where
     * marking the row sent wrote both, payload included. It commits like the history's writes (flushed, unless the
     * server's synchronous_commit says otherwise), so a crash does not bring a deleted row back behind the relay's
     * position. The relay reads from the start only when it has reason to, never just in case: such a read steps over
     * every row deleted since the last vacuum.
     */
    @SqlUpdate("DELETE FROM outbox o USING unnest(CAST(:txids AS bigint[]), CAST(:ids AS bigint[])) AS sent(txid, id) "
            + "WHERE " + SERVER_STARTED + " = :serverStarted "
            + "AND o.txid = CAST(CAST(sent.txid AS text) AS xid8) AND o.id = sent.id")
    int deleteSent(@Bind("txids") long[] txids, @Bind("ids") long[] ids, @Bind("serverStarted") long serverStarted);

    /**
     * The horizon a read made now would have (rows of transactions at or after it are not returned yet) and when the
     * database's server started: what the relay compares before each round to tell that the database went back.
     */
    record Horizon(long xmin, long serverStarted) {
    }

    /** Where the database stands now; see {@link Horizon}. */
    @SqlQuery("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin, " + SERVER_STARTED
            + " AS server_started")
    @RegisterConstructorMapper(Horizon.class)
    Horizon horizon();

    /** Every row in the outbox waits to be sent. */
    @SqlQuery("SELECT count(*) FROM outbox")
    long countUnsent();

    @SqlQuery("SELECT min(created_at) FROM outbox")
    Instant oldestUnsentOrNull();
}
