package org.aigateway.gateway.recovery;

import org.aigateway.gateway.history.RequestHistoryDao.Pending;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

import java.time.Instant;
import java.util.List;

/** Reads {@code request_history} rows still {@code pending}, oldest first, as they were opened. */
@RegisterConstructorMapper(Pending.class)
public interface PendingRequestDao {
    String PENDING_COLUMNS = "id, created_at, user_id, api_key_id, session_id, provider, model, upstream_model, "
            + "request_type, stream, request_data::text AS request_json, gateway_instance";

    /** Rows one instance opened before a moment: the pending rows of every instance, filtered. */
    @SqlQuery("SELECT " + PENDING_COLUMNS + " FROM request_history WHERE status = 'pending' "
            + "AND gateway_instance = :instance AND created_at < :before ORDER BY created_at LIMIT :limit")
    List<Pending> openedBy(@Bind("instance") String instance, @Bind("before") Instant before, @Bind("limit") int limit);

    /** Rows of any instance opened before a moment, served by {@code request_history_pending_idx}. */
    @SqlQuery("SELECT " + PENDING_COLUMNS + " FROM request_history WHERE status = 'pending' "
            + "AND created_at < :before ORDER BY created_at LIMIT :limit")
    List<Pending> openedBefore(@Bind("before") Instant before, @Bind("limit") int limit);
}
