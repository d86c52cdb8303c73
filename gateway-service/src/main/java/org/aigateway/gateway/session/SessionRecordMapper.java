package org.aigateway.gateway.session;

import org.aigateway.support.db.SelectedColumns;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;

import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Maps the {@link #COLUMNS} of {@code session_history} to a {@link SessionRecord}, written out by hand for the reason
 * {@link org.aigateway.gateway.history.HistoryRecordMapper} gives.
 */
public final class SessionRecordMapper implements RowMapper<SessionRecord> {
    /** The columns a {@link SessionRecord} is read from, in this order. */
    static final String COLUMNS = "session_id, user_id, status, total_requests, total_tokens, total_cost, started_at, "
            + "last_request_at, ended_at, duration_ms";
    private static final SelectedColumns SELECTED = SelectedColumns.of(COLUMNS);

    @Override
    public RowMapper<SessionRecord> specialize(ResultSet rs, StatementContext ctx) throws SQLException {
        SELECTED.check(rs);
        return this;
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
                SelectedColumns.instant(rs, 7),
                SelectedColumns.instant(rs, 8),
                SelectedColumns.instant(rs, 9),
                rs.getObject(10, Long.class));
    }
}
