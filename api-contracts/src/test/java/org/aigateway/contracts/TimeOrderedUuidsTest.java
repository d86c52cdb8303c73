package org.aigateway.contracts;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class TimeOrderedUuidsTest {
    @Test
    void version7IdsThatDoNotRepeatAcrossThreads() {
        long before = System.currentTimeMillis();
        Set<UUID> seen = ConcurrentHashMap.newKeySet();
        IntStream.range(0, 200_000).parallel().forEach(i -> seen.add(TimeOrderedUuids.next()));
        long after = System.currentTimeMillis();
        assertThat(seen).hasSize(200_000);
        assertThat(seen).allSatisfy(id -> {
            assertThat(id.version()).isEqualTo(7);
            assertThat(id.variant()).isEqualTo(2);
            assertThat(TimeOrderedUuids.unixMillis(id)).isBetween(before, after);
        });
    }

    @Test
    void idsOfLaterMillisecondsSortAfterEarlierOnesAsPostgresqlOrdersThem() {
        long[] millis = {0L, 1L, 255L, 256L, 1_735_689_600_000L, 1_735_689_600_001L, 0xffff_ffff_ffffL};
        String previousLargest = null;
        for (long ms : millis) {
            // PostgreSQL orders uuids by their bytes, as their text forms order (UUID.compareTo compares signed longs).
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                ids.add(TimeOrderedUuids.at(ms).toString());
            }
            ids.sort(null);
            if (previousLargest != null) {
                assertThat(ids.get(0)).isGreaterThan(previousLargest);
            }
            previousLargest = ids.get(ids.size() - 1);
        }
        assertThat(TimeOrderedUuids.at(1_735_689_600_000L).toString()).startsWith("01941f29-7c00-7");
    }

    @Test
    void carriesTheMillisecondItWasMadeAtAndRandomBitsOtherwise() {
        UUID first = TimeOrderedUuids.at(1_735_689_600_000L);
        UUID second = TimeOrderedUuids.at(1_735_689_600_000L);
        assertThat(TimeOrderedUuids.unixMillis(first)).isEqualTo(1_735_689_600_000L);
        assertThat(first).isNotEqualTo(second);
        assertThat(first.getMostSignificantBits() >>> 16).isEqualTo(second.getMostSignificantBits() >>> 16);
    }
}
