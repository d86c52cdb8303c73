package org.aigateway.gateway.chat;

import org.aigateway.support.errors.ApiException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bodies of every size come back byte for byte, however the stream hands them over; the limit and UTF-8 hold. */
class RequestBodiesTest {
    private static final long LIMIT = 300_000;

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 1023, 1024, 1025, 2047, 2048, 2049, 65_537, 262_143, 262_144, 262_145, 299_999, 300_000})
    void aBodyWithinTheLimitIsReturnedWhole(int size) throws IOException {
        byte[] body = ascii(size);

        assertThat(RequestBodies.readAtMost(new ByteArrayInputStream(body), LIMIT)).isEqualTo(body);
        assertThat(RequestBodies.readAtMost(new Trickle(body, 7), LIMIT)).isEqualTo(body);
    }

    @Test
    void aBodyOverTheLimitIsRefusedWithoutReadingFurther() {
        AtomicLong served = new AtomicLong();
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                served.incrementAndGet();
                return 'a';
            }
        };

        assertThatThrownBy(() -> RequestBodies.readAtMost(endless, LIMIT))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.getStatus()).isEqualTo(413);
                    assertThat(e.getCode()).isEqualTo("request_too_large");
                });
        assertThat(served.get()).isEqualTo(LIMIT + 1);
    }

    @Test
    void aBodyOneByteOverTheLimitIsRefused() {
        assertThatThrownBy(() -> RequestBodies.readAtMost(new ByteArrayInputStream(ascii((int) LIMIT + 1)), LIMIT))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getStatus()).isEqualTo(413));
    }

    @Test
    void anEmptyBodyIsRefused() {
        assertThatThrownBy(() -> RequestBodies.readAtMost(new ByteArrayInputStream(new byte[0]), LIMIT))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getStatus()).isEqualTo(400));
    }

    @Test
    void charactersOfEveryLengthAreAcceptedAcrossTheDecodingWindow() throws IOException {
        // 2-, 3- and 4-byte characters (the last one two chars in Java) repeated far beyond 1,024 chars, shifted by
        // one character so that a surrogate pair falls on the end of the decoding window.
        String text = "é" + "é€😀".repeat(3_000);
        byte[] body = text.getBytes(StandardCharsets.UTF_8);

        assertThat(RequestBodies.readAtMost(new Trickle(body, 5), LIMIT)).isEqualTo(body);
        byte[] asciiFirst = ("a".repeat(3_000) + "€😀").getBytes(StandardCharsets.UTF_8);
        assertThat(RequestBodies.readAtMost(new ByteArrayInputStream(asciiFirst), LIMIT)).isEqualTo(asciiFirst);
    }

    @Test
    void invalidUtf8IsRefusedWhereverItIs() {
        byte[] early = withBytesAt(ascii(10), 3, 0xc0, 0xaf);
        byte[] late = withBytesAt("é".repeat(5_000).getBytes(StandardCharsets.UTF_8), 9_997, 0xff);
        byte[] cutShort = Arrays.copyOf("é€".repeat(2_000).getBytes(StandardCharsets.UTF_8), 9_999);
        byte[] afterAscii = withBytesAt(ascii(3_004), 3_000, 0xe2, 0x82, 0xac, 0x80);

        for (byte[] body : new byte[][] {early, late, cutShort, afterAscii}) {
            assertThatThrownBy(() -> RequestBodies.readAtMost(new ByteArrayInputStream(body), LIMIT))
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.getStatus()).isEqualTo(400);
                        assertThat(e.getCode()).isEqualTo("invalid_json");
                    });
        }
    }

    private static byte[] ascii(int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) ('a' + i % 26);
        }
        return bytes;
    }

    private static byte[] withBytesAt(byte[] bytes, int at, int... replacement) {
        byte[] copy = bytes.clone();
        for (int i = 0; i < replacement.length; i++) {
            copy[at + i] = (byte) replacement[i];
        }
        return copy;
    }

    /** Hands the body over a few bytes per read, as a network stream may. */
    private static final class Trickle extends InputStream {
        private final byte[] bytes;
        private final int step;
        private int position;

        Trickle(byte[] bytes, int step) {
            this.bytes = bytes;
            this.step = step;
        }

        @Override
        public int read() {
            return position < bytes.length ? bytes[position++] & 0xff : -1;
        }

        @Override
        public int read(byte[] target, int offset, int length) {
            if (position >= bytes.length) {
                return -1;
            }
            int n = Math.min(Math.min(step, length), bytes.length - position);
            System.arraycopy(bytes, position, target, offset, n);
            position += n;
            return n;
        }
    }
}
