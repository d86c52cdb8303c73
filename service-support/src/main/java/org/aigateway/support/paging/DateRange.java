package org.aigateway.support.paging;

import org.aigateway.support.errors.ApiException;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/**
 * An inclusive range of UTC days from the {@code from} and {@code to} query parameters, read the same way by the
 * gateway's stats and the analytics API.
 */
public record DateRange(LocalDate from, LocalDate to) {
    public static final int DEFAULT_DAYS = 30;
    public static final int MAX_DAYS = 366;

    /** Both are optional: {@code to} defaults to today (UTC), {@code from} to 30 days up to {@code to}. */
    public static DateRange parse(String from, String to) {
        return parse(from, to, Clock.systemUTC());
    }

    /** As {@link #parse(String, String)}, with "today" read from {@code clock}. */
    public static DateRange parse(String from, String to, Clock clock) {
        LocalDate end = to == null || to.isBlank() ? LocalDate.now(clock.withZone(ZoneOffset.UTC)) : date(to, "to");
        LocalDate start = from == null || from.isBlank() ? end.minusDays(DEFAULT_DAYS - 1) : date(from, "from");
        if (start.isAfter(end)) {
            throw ApiException.invalidRequest("'from' (" + start + ") is after 'to' (" + end + ").", "from");
        }
        if (ChronoUnit.DAYS.between(start, end) >= MAX_DAYS) {
            throw ApiException.invalidRequest("The range from 'from' to 'to' may span at most " + MAX_DAYS
                    + " days.", "from");
        }
        return new DateRange(start, end);
    }

    /** The first instant of {@code from}. */
    public Instant startInstant() {
        return from.atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    /** The first instant after {@code to}. */
    public Instant endInstantExclusive() {
        return to.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    private static LocalDate date(String value, String param) {
        try {
            return LocalDate.parse(value.strip());
        } catch (DateTimeParseException e) {
            throw ApiException.invalidRequest("Invalid '" + param + "': expected an ISO date such as 2025-01-31.",
                    param, "invalid_date");
        }
    }
}
