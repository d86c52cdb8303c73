package org.aigateway.analytics;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * ISO-8601 UTC timestamps in the form the gateway writes them ({@code 2025-01-01T10:00:00.123456Z}), read and
 * written without {@link java.time.format.DateTimeFormatter}, which costs more than the rest of an event's handling.
 */
public final class IsoInstants {
    private static final int SECONDS_PER_DAY = 86_400;

    private IsoInstants() {
    }

    /** The same instant as {@link Instant#toString()} names, for PostgreSQL to read. */
    public static String format(Instant instant) {
        return LocalDateTime.ofEpochSecond(instant.getEpochSecond(), instant.getNano(), ZoneOffset.UTC) + "Z";
    }

    /**
     * {@code yyyy-MM-ddTHH:mm:ss[.f…]Z} with one to nine fraction digits, as {@link Instant#parse} reads it; null
     * for any other text, including impossible dates and times, which the caller leaves to the full parser.
     */
    public static Instant parseCanonical(String text) {
        int length = text.length();
        if (length < 20 || length > 30 || text.charAt(length - 1) != 'Z' || text.charAt(4) != '-'
                || text.charAt(7) != '-' || text.charAt(10) != 'T' || text.charAt(13) != ':'
                || text.charAt(16) != ':') {
            return null;
        }
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 7);
        int day = digits(text, 8, 10);
        int hour = digits(text, 11, 13);
        int minute = digits(text, 14, 16);
        int second = digits(text, 17, 19);
        if (year < 0 || month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0
                || second > 59) {
            return null;
        }
        int nanos = 0;
        if (length > 20) {
            int fractionDigits = length - 21;
            if (text.charAt(19) != '.' || fractionDigits < 1 || fractionDigits > 9) {
                return null;
            }
            nanos = digits(text, 20, length - 1);
            if (nanos < 0) {
                return null;
            }
            for (int i = fractionDigits; i < 9; i++) {
                nanos *= 10;
            }
        }
        LocalDate date;
        try {
            date = LocalDate.of(year, month, day);
        } catch (DateTimeException e) {
            return null;
        }
        return Instant.ofEpochSecond(date.toEpochDay() * SECONDS_PER_DAY + hour * 3600L + minute * 60L + second,
                nanos);
    }

    /** The decimal number in {@code text[from, to)}, or -1 unless every character is an ASCII digit. */
    private static int digits(String text, int from, int to) {
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }
}
