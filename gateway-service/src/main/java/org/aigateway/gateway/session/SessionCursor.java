package org.aigateway.gateway.session;

import org.aigateway.support.errors.ApiException;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;

/**
 * The opaque {@code cursor} of the sessions list: the (started_at, user_id, session_id) of the last session of the
 * previous page, which the next page continues strictly after in descending order.
 */
public record SessionCursor(Instant startedAt, String userId, String sessionId) {
    private static final String PREFIX = "s1:";
    private static final Base64.Encoder PART = Base64.getUrlEncoder().withoutPadding();

    public static SessionCursor after(SessionRecord last) {
        return new SessionCursor(last.startedAt(), last.userId(), last.sessionId());
    }

    public String encode() {
        // User ids may hold any character, so each text part is encoded on its own before being joined.
        String plain = PREFIX + startedAt + "," + PART.encodeToString(userId.getBytes(StandardCharsets.UTF_8)) + ","
                + PART.encodeToString(sessionId.getBytes(StandardCharsets.UTF_8));
        return PART.encodeToString(plain.getBytes(StandardCharsets.US_ASCII));
    }

    /** The position to continue after, or null for the first page. */
    public static SessionCursor parse(String cursor) {
        if (cursor == null || cursor.isBlank()) {
            return null;
        }
        try {
            String decoded = new String(Base64.getUrlDecoder().decode(cursor.strip()), StandardCharsets.US_ASCII);
            String[] parts = decoded.split(",", -1);
            if (decoded.startsWith(PREFIX) && parts.length == 3 && !parts[1].isEmpty() && !parts[2].isEmpty()) {
                return new SessionCursor(Instant.parse(parts[0].substring(PREFIX.length())), text(parts[1]),
                        text(parts[2]));
            }
        } catch (IllegalArgumentException | DateTimeParseException e) {
            // Falls through to the same answer as any other cursor this service did not hand out.
        }
        throw ApiException.invalidRequest("Invalid 'cursor': pass the next_cursor of a previous page.", "cursor",
                "invalid_cursor");
    }

    private static String text(String part) {
        return new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8);
    }
}
