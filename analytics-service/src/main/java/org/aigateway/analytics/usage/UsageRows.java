package org.aigateway.analytics.usage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import org.aigateway.analytics.IsoInstants;
import org.aigateway.contracts.EventJson;

import java.util.List;

/** Packs a batch's usage deltas into JSON arrays, so each aggregate table is upserted by a single statement. */
public final class UsageRows {
    private static final ObjectMapper MAPPER = EventJson.newMapper();

    private UsageRows() {
    }

    public static String userTotals(List<UserTotalsDelta> deltas) {
        ArrayNode rows = JsonNodeFactory.instance.arrayNode(deltas.size());
        for (UserTotalsDelta d : deltas) {
            rows.addObject()
                    .put("user_id", d.userId())
                    .put("requests", d.requests())
                    .put("successful", d.successful())
                    .put("failed", d.failed())
                    .put("total_tokens", d.totalTokens())
                    .put("prompt_tokens", d.promptTokens())
                    .put("completion_tokens", d.completionTokens())
                    .put("cached_tokens", d.cachedTokens())
                    // A string, so the decimal reaches numeric digit for digit.
                    .put("cost", d.cost().toPlainString())
                    .put("response_time_ms", d.responseTimeMs())
                    .put("first_activity_at", IsoInstants.format(d.firstActivityAt()))
                    .put("last_activity_at", IsoInstants.format(d.lastActivityAt()));
        }
        return write(rows);
    }

    public static String dailyUsage(List<DailyUsageDelta> deltas) {
        ArrayNode rows = JsonNodeFactory.instance.arrayNode(deltas.size());
        for (DailyUsageDelta d : deltas) {
            ObjectNode row = rows.addObject()
                    .put("user_id", d.userId())
                    .put("usage_date", d.usageDate().toString())
                    .put("requests", d.requests())
                    .put("successful", d.successful())
                    .put("failed", d.failed())
                    .put("total_tokens", d.totalTokens())
                    .put("prompt_tokens", d.promptTokens())
                    .put("completion_tokens", d.completionTokens())
                    .put("cost", d.cost().toPlainString());
            // The breakdowns are already JSON objects.
            row.putRawValue("models", new RawValue(d.models()));
            row.putRawValue("providers", new RawValue(d.providers()));
        }
        return write(rows);
    }

    private static String write(ArrayNode rows) {
        try {
            return MAPPER.writeValueAsString(rows);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize usage rows", e);
        }
    }
}
