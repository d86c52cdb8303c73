package org.aigateway.gateway.history;

import org.aigateway.support.paging.PageLimit;
import org.aigateway.support.errors.ApiException;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Set;

/**
 * Which history rows a list request asks for, validated. A null field means "no filter"; a null {@code userId}
 * means every user and is only ever produced for admins.
 */
public record HistoryQuery(String userId, String sessionId, String model, String provider, String status,
                           Instant from, Instant toExclusive, HistoryCursor after, int limit) {
    public static final int DEFAULT_LIMIT = 20;
    public static final int MAX_LIMIT = 100;
    static final Set<String> STATUSES = Set.of("pending", "success", "error", "cancelled", "aborted");
    /** Instants are taken in the years 1 to 9999 only: beyond PostgreSQL's timestamptz range a comparison fails. */
    private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("+10000-01-01T00:00:00Z");

    /** The raw query parameters, as the client sent them. */
    public record Params(String userId, String sessionId, String model, String provider, String status,
                         String from, String to, String cursor, String limit) {
    }

    /** Validates the parameters and decides whose rows the caller may list. */
    public static HistoryQuery of(Params params, String callerUserId, boolean callerIsAdmin) {
        String requestedUser = text(params.userId(), "userId");
        if (!callerIsAdmin && requestedUser != null && !requestedUser.equals(callerUserId)) {
            throw new ApiException(403, "Only admin keys may list another user's history.", "permission_error",
                    "userId", null);
        }
        String owner = callerIsAdmin ? requestedUser : callerUserId;
        String status = text(params.status(), "status");
        if (status != null && !STATUSES.contains(status)) {
            throw ApiException.invalidRequest("Invalid 'status': use pending, success, error, cancelled or aborted.", "status");
        }
        Instant from = params.from() == null || params.from().isBlank() ? null : start(params.from().strip());
        Instant to = params.to() == null || params.to().isBlank() ? null : endExclusive(params.to().strip());
        if (from != null && to != null && !from.isBefore(to)) {
            throw ApiException.invalidRequest("'from' must be before 'to'.", "from");
        }
        return new HistoryQuery(owner, text(params.sessionId(), "sessionId"), text(params.model(), "model"),
                text(params.provider(), "provider"), status, from, to, HistoryCursor.parse(params.cursor()),
                PageLimit.parse(params.limit(), DEFAULT_LIMIT, MAX_LIMIT));
    }

    /** An instant as given, or a date's first instant (UTC). */
    private static Instant start(String value) {
        return instant(value, "from", false);
    }

    /** An instant as given (exclusive), or for a date the first instant after that day (UTC), so the day counts. */
    private static Instant endExclusive(String value) {
        return instant(value, "to", true);
    }

    private static Instant instant(String value, String param, boolean dateInclusiveEnd) {
        Instant instant = null;
        try {
            if (value.length() == "yyyy-mm-dd".length()) {
                LocalDate day = LocalDate.parse(value);
                instant = (dateInclusiveEnd ? day.plusDays(1) : day).atStartOfDay(ZoneOffset.UTC).toInstant();
            } else {
                instant = OffsetDateTime.parse(value).toInstant();
            }
        } catch (DateTimeParseException e) {
            // Same answer as an instant out of range.
        }
        if (instant == null || !storable(instant)) {
            throw ApiException.invalidRequest("Invalid '" + param + "': expected an ISO-8601 instant such as "
                    + "2025-01-31T12:00:00Z or a date such as 2025-01-31, in the years 1 to 9999.", param,
                    "invalid_date");
        }
        return instant;
    }

    /** Whether PostgreSQL can compare against this instant: years 1 to 9999, and the first instant after them. */
    static boolean storable(Instant instant) {
        return !instant.isBefore(EARLIEST) && !instant.isAfter(LATEST);
    }

    /** A text filter, or null for none; a NUL character can never be stored, so PostgreSQL refuses to compare it. */
    private static String text(String value, String param) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (value.indexOf('\0') >= 0) {
            throw ApiException.invalidRequest("Invalid '" + param + "': it contains a NUL character.", param);
        }
        return value;
    }
}
