package org.aigateway.gateway.session;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.List;

/** One page of the sessions list, in OpenAI's list envelope; {@code next_cursor} is null on the last page. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.ALWAYS)
public record SessionPage(String object, List<SessionRecord> data, boolean hasMore, String nextCursor) {
    public SessionPage(List<SessionRecord> data, boolean hasMore, String nextCursor) {
        this("list", data, hasMore, nextCursor);
    }
}
