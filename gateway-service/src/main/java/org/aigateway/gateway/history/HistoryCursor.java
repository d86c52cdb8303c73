package org.aigateway.gateway.history;

import org.aigateway.support.errors.ApiException;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.UUID;

/**
 * The opaque {@code cursor} of the history list: the (created_at, id) of the last row of the previous page, which
 * the next page continues strictly after in (created_at DESC, id DESC) order.
 */
public record HistoryCursor(Instant createdAt, UUID id) {
    private static final String PREFIX = "h1:";
    private static final int UUID_LENGTH = 36;

    public static HistoryCursor after(HistoryRecord last) {
        return new HistoryCursor(last.createdAt(), last.id());
    }

    public String encode() {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((PREFIX + createdAt + "," + id).getBytes(StandardCharsets.US_ASCII));
    }

    /** The position to continue after, or null for the first page. */
    public static HistoryCursor parse(String cursor) {
        if (cursor == null || cursor.isBlank()) {
            return null;
        }
        try {
            String decoded = new String(Base64.getUrlDecoder().decode(cursor.strip()), StandardCharsets.US_ASCII);
            int comma = decoded.indexOf(',');
            if (decoded.startsWith(PREFIX) && comma > 0 && decoded.length() - comma - 1 == UUID_LENGTH) {
                Instant createdAt = Instant.parse(decoded.substring(PREFIX.length(), comma));
                if (HistoryQuery.storable(createdAt)) {
                    return new HistoryCursor(createdAt, UUID.fromString(decoded.substring(comma + 1)));
                }
            }
        } catch (IllegalArgumentException | DateTimeParseException e) {
            // Falls through to the same answer as any other cursor this service did not hand out.
        }
        throw ApiException.invalidRequest("Invalid 'cursor': pass the next_cursor of a previous page.", "cursor",
                "invalid_cursor");
    }
}
