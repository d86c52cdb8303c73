package org.aigateway.analytics.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.aigateway.analytics.Money;
import org.aigateway.contracts.EventJson;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;

/** Reads an {@code analytics_events} row, parsing its jsonb columns. */
public class StoredEventMapper implements RowMapper<StoredEvent> {
    private static final ObjectMapper MAPPER = EventJson.newMapper();

    @Override
    public StoredEvent map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new StoredEvent(
                rs.getLong("id"),
                rs.getObject("event_id", UUID.class),
                rs.getString("event_type"),
                rs.getString("event_name"),
                rs.getString("user_id"),
                rs.getString("session_id"),
                rs.getString("service"),
                rs.getString("provider"),
                rs.getString("model"),
                rs.getString("request_type"),
                rs.getString("status"),
                rs.getObject("prompt_tokens", Long.class),
                rs.getObject("completion_tokens", Long.class),
                rs.getObject("cached_tokens", Long.class),
                rs.getObject("tokens_used", Long.class),
                Money.of(rs.getBigDecimal("cost")),
                rs.getObject("response_time_ms", Long.class),
                rs.getObject("history_id", UUID.class),
                json(rs.getString("properties")),
                json(rs.getString("metadata")),
                instant(rs.getTimestamp("occurred_at")),
                instant(rs.getTimestamp("received_at")));
    }

    private static JsonNode json(String text) throws SQLException {
        try {
            return text == null ? null : MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new SQLException("stored jsonb is not JSON", e);
        }
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
