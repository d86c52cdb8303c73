package org.aigateway.analytics;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class IsoInstantsTest {
    @Test
    void readsWhatInstantToStringWritesAsInstantParseDoes() {
        Random random = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            long seconds = random.nextLong(Instant.parse("0001-01-01T00:00:00Z").getEpochSecond(),
                    Instant.parse("9999-12-31T23:59:59Z").getEpochSecond());
            int nanos = switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1000;
                default -> random.nextInt(1_000_000_000);
            };
            Instant instant = Instant.ofEpochSecond(seconds, nanos);
            String text = instant.toString();

            assertThat(IsoInstants.parseCanonical(text)).as(text).isEqualTo(instant);
            assertThat(OffsetDateTime.parse(IsoInstants.format(instant), DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                    .toInstant()).as(text).isEqualTo(instant);
        }
    }

    @Test
    void readsEveryFractionLength() {
        String fraction = "123456789";
        for (int digits = 1; digits <= 9; digits++) {
            String text = "2025-03-01T12:34:56." + fraction.substring(0, digits) + "Z";
            assertThat(IsoInstants.parseCanonical(text)).as(text).isEqualTo(Instant.parse(text));
        }
    }

    @Test
    void leavesEverythingElseToTheFullParser() {
        for (String text : List.of("2025-02-29T00:00:00Z", "2025-13-01T00:00:00Z", "2025-01-01T24:00:00Z",
                "2025-01-01T23:60:00Z", "2025-01-01T23:59:60Z", "2025-01-01T00:00:00.Z",
                "2025-01-01T00:00:00.1234567890Z", "2025-01-01T00:00:00+01:00", "2025-01-01 00:00:00Z",
                "2025-01-01T00:00Z", "+2025-01-01T00:00:00Z", "2025-01-01T00:00:0xZ", "2025-1-01T00:00:00.5Z",
                "")) {
            assertThat(IsoInstants.parseCanonical(text)).as(text).isNull();
        }
    }

    @Test
    void writesTheInstantForPostgresql() {
        assertThat(IsoInstants.format(Instant.parse("2025-01-01T10:00:00Z"))).isEqualTo("2025-01-01T10:00Z");
        assertThat(IsoInstants.format(Instant.parse("2025-01-01T10:00:01.120Z")))
                .isEqualTo("2025-01-01T10:00:01.120Z");
        assertThat(OffsetDateTime.parse(IsoInstants.format(Instant.parse("1999-12-31T23:59:59.999999Z")),
                DateTimeFormatter.ISO_OFFSET_DATE_TIME)).isEqualTo(
                OffsetDateTime.of(1999, 12, 31, 23, 59, 59, 999_999_000, ZoneOffset.UTC));
    }
}
