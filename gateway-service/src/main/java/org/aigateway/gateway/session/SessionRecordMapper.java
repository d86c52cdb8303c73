package org.aigateway.gateway.session;

import org.aigateway.support.db.PositionalRowMapper;
import org.jdbi.v3.core.statement.StatementContext;

import java.sql.ResultSet;
import java.sql.SQLException;

/** Maps the {@link #COLUMNS} of {@code session_history} to a {@link SessionRecord}. */
public final class SessionRecordMapper extends PositionalRowMapper<SessionRecord> {
    /** The columns a {@link SessionRecord} is read from, in this order. */
    static final String COLUMNS = "session_id, user_id, status, total_requests, total_tokens, total_cost, started_at, "
            + "last_request_at, ended_at, duration_ms";

    public SessionRecordMapper() {
        super(COLUMNS);
    }

    @Override
    public SessionRecord map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new SessionRecord(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                rs.getLong(4),
                rs.getLong(5),
                rs.getBigDecimal(6),
                instant(rs, 7),
                instant(rs, 8),
                instant(rs, 9),
                rs.getObject(10, Long.class));
    }
}
