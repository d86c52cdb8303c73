package org.aigateway.gateway.chat;

import org.aigateway.support.errors.ApiException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Reads request bodies, holding no more of one than the configured limit. */
public final class RequestBodies {
    /**
     * The first buffer a body is read into, doubled as needed up to the limit: most chat requests are a few hundred
     * bytes, where {@link InputStream#readNBytes} reads into 8 KB chunks whatever the body's size.
     */
    private static final int INITIAL_BUFFER_BYTES = 1024;
    /** Characters decoded at a time while checking a body that is not plain ASCII. */
    private static final int DECODE_WINDOW_CHARS = 1024;

    private RequestBodies() {
    }

    /** The body's bytes, refused when over the limit, empty, or not UTF-8 (the only encoding JSON may travel in). */
    public static byte[] readAtMost(InputStream body, long maxBytes) throws IOException {
        int max = (int) Math.min(Integer.MAX_VALUE - 8, maxBytes);
        byte[] buffer = new byte[Math.min(max, INITIAL_BUFFER_BYTES)];
        int length = 0;
        while (true) {
            if (length < buffer.length) {
                int read = body.read(buffer, length, buffer.length - length);
                if (read < 0) {
                    break;
                }
                length += read;
            } else {
                // A full buffer grows only once the body turns out to go on.
                int next = body.read();
                if (next < 0) {
                    break;
                }
                if (length == max) {
                    throw tooLarge(maxBytes);
                }
                buffer = Arrays.copyOf(buffer, (int) Math.min(max, 2L * buffer.length));
                buffer[length++] = (byte) next;
            }
        }
        if (length == 0) {
            throw ApiException.invalidRequest("The request body is empty; send a JSON object.", null);
        }
        requireUtf8(buffer, length);
        return length == buffer.length ? buffer : Arrays.copyOf(buffer, length);
    }

    /**
     * JSON parsers decode some invalid UTF-8 leniently (overlong forms such as C0 AF for '/'), so what the gateway
     * validated could differ from what another decoder reads; the JDK's decoder is strict.
     */
    private static void requireUtf8(byte[] bytes, int length) {
        int start = 0;
        while (start < length && bytes[start] >= 0) {
            start++;
        }
        if (start == length) {
            return;
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        // Everything before the first byte beyond ASCII is whole characters, so decoding can start there.
        ByteBuffer in = ByteBuffer.wrap(bytes, start, length - start);
        CharBuffer window = CharBuffer.allocate(DECODE_WINDOW_CHARS);
        CoderResult result;
        do {
            window.clear();
            result = decoder.decode(in, window, true);
            if (result.isError()) {
                throw notUtf8();
            }
        } while (result.isOverflow());
        do {
            window.clear();
            result = decoder.flush(window);
        } while (result.isOverflow());
    }

    private static ApiException notUtf8() {
        return ApiException.invalidRequest("The request body is not valid UTF-8; send JSON encoded as UTF-8.", null,
                "invalid_json");
    }

    public static ApiException tooLarge(long maxBytes) {
        return new ApiException(413, "The request body is larger than the limit of " + maxBytes + " bytes.",
                "invalid_request_error", null, "request_too_large");
    }
}
