package org.aigateway.gateway.history;

import org.aigateway.support.db.PositionalRowMapper;
import org.jdbi.v3.core.statement.StatementContext;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

/**
 * Maps the {@link #COLUMNS} of {@code request_history} to a {@link HistoryRecord}. Without JDBI's constructor mapper,
 * which matches columns to parameters and reads their nullability by reflection for every result set, a history page
 * took about a third less of the gateway's CPU.
 */
public final class HistoryRecordMapper extends PositionalRowMapper<HistoryRecord> {
    /** The columns a {@link HistoryRecord} is read from, in this order. */
    static final String COLUMNS = "id, user_id, session_id, provider, model, upstream_model, request_type, stream, "
            + "status, request_data::text AS request, response_data::text AS response, error_message, "
            + "upstream_status, http_status, prompt_tokens, completion_tokens, total_tokens, cached_tokens, "
            + "cache_creation_tokens, cost, response_time_ms, time_to_first_token_ms, created_at, completed_at";

    public HistoryRecordMapper() {
        super(COLUMNS);
    }

    @Override
    public HistoryRecord map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new HistoryRecord(
                rs.getObject(1, UUID.class),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                rs.getString(6),
                rs.getString(7),
                rs.getBoolean(8),
                rs.getString(9),
                rs.getString(10),
                rs.getString(11),
                rs.getString(12),
                rs.getObject(13, Integer.class),
                rs.getObject(14, Integer.class),
                rs.getObject(15, Long.class),
                rs.getObject(16, Long.class),
                rs.getObject(17, Long.class),
                rs.getObject(18, Long.class),
                rs.getObject(19, Long.class),
                rs.getBigDecimal(20),
                rs.getObject(21, Long.class),
                rs.getObject(22, Long.class),
                instant(rs, 23),
                instant(rs, 24));
    }
}
