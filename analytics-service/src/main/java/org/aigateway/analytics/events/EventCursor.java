package org.aigateway.analytics.events;

import org.aigateway.support.errors.ApiException;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** The opaque {@code cursor} of the events endpoint: where the previous page stopped. */
final class EventCursor {
    private static final String PREFIX = "e1:";

    private EventCursor() {
    }

    static String of(long lastId) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((PREFIX + lastId).getBytes(StandardCharsets.US_ASCII));
    }

    /** The row id to continue before, or null for the first page. */
    static Long parse(String cursor) {
        if (cursor == null || cursor.isBlank()) {
            return null;
        }
        try {
            String decoded = new String(Base64.getUrlDecoder().decode(cursor.strip()), StandardCharsets.US_ASCII);
            if (decoded.startsWith(PREFIX)) {
                long id = Long.parseLong(decoded.substring(PREFIX.length()));
                if (id > 0) {
                    return id;
                }
            }
        } catch (IllegalArgumentException e) {
            // Falls through to the same answer as any other cursor this service did not hand out.
        }
        throw ApiException.invalidRequest("Invalid 'cursor': pass the nextCursor of a previous page.", "cursor",
                "invalid_cursor");
    }
}
