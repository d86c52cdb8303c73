package org.aigateway.support.db;

import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The select list a row mapper reads by position. A query that selected other columns, or the same in another order,
 * would otherwise fill fields of the same type with each other's values without an error, so the mapper checks each
 * result set's column labels against it once, before its first row.
 */
public final class SelectedColumns {
    private final List<String> labels;

    private SelectedColumns(List<String> labels) {
        this.labels = labels;
    }

    /** The labels of a select list such as {@code "id, request_data::text AS request"}: {@code id, request}. */
    public static SelectedColumns of(String selectList) {
        return new SelectedColumns(Arrays.stream(selectList.split(","))
                .map(String::trim)
                .map(column -> {
                    int as = column.toLowerCase(Locale.ROOT).lastIndexOf(" as ");
                    return (as < 0 ? column : column.substring(as + 4)).trim().toLowerCase(Locale.ROOT);
                })
                .toList());
    }

    /** Fails unless the result set has exactly these columns, in this order. */
    public void check(ResultSet rs) throws SQLException {
        ResultSetMetaData meta = rs.getMetaData();
        String[] actual = new String[meta.getColumnCount()];
        for (int i = 0; i < actual.length; i++) {
            actual[i] = meta.getColumnLabel(i + 1).toLowerCase(Locale.ROOT);
        }
        if (!labels.equals(List.of(actual))) {
            throw new IllegalStateException("the query selected " + String.join(", ", actual)
                    + " where the mapper reads " + String.join(", ", labels));
        }
    }

    /** A {@code timestamptz} column as an instant; null for SQL NULL. */
    public static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime time = rs.getObject(column, OffsetDateTime.class);
        return time == null ? null : time.toInstant();
    }
}
