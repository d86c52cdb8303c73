package org.aigateway.support.db;

import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;

import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A row mapper that reads its select list by position, with none of the per-result-set reflection of JDBI's
 * constructor mapper. A query that selected other columns, or the same in another order, would fill fields of the
 * same type with each other's values without an error, so each result set's column labels are checked against the
 * select list once, before its first row.
 *
 * @param <T> what a row becomes
 */
public abstract class PositionalRowMapper<T> implements RowMapper<T> {
    private final List<String> labels;

    /** @param selectList such as {@code "id, request_data::text AS request"}, whose labels are {@code id, request} */
    protected PositionalRowMapper(String selectList) {
        this.labels = Arrays.stream(selectList.split(","))
                .map(String::trim)
                .map(column -> {
                    int as = column.toLowerCase(Locale.ROOT).lastIndexOf(" as ");
                    return (as < 0 ? column : column.substring(as + 4)).trim().toLowerCase(Locale.ROOT);
                })
                .toList();
    }

    @Override
    public final RowMapper<T> specialize(ResultSet rs, StatementContext ctx) throws SQLException {
        ResultSetMetaData meta = rs.getMetaData();
        String[] actual = new String[meta.getColumnCount()];
        for (int i = 0; i < actual.length; i++) {
            actual[i] = meta.getColumnLabel(i + 1).toLowerCase(Locale.ROOT);
        }
        if (!labels.equals(List.of(actual))) {
            throw new IllegalStateException("the query selected " + String.join(", ", actual)
                    + " where the mapper reads " + String.join(", ", labels));
        }
        return this;
    }

    /** A {@code timestamptz} column as an instant; null for SQL NULL. */
    protected static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime time = rs.getObject(column, OffsetDateTime.class);
        return time == null ? null : time.toInstant();
    }
}
