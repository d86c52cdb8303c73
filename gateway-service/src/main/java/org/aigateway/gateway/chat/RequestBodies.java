package org.aigateway.gateway.chat;

import org.aigateway.support.errors.ApiException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Reads request bodies without ever holding more than the configured limit in memory. */
public final class RequestBodies {
    private RequestBodies() {
    }

    /** The body's bytes, refused when over the limit, empty, or not UTF-8 (the only encoding JSON may travel in). */
    public static byte[] readAtMost(InputStream body, long maxBytes) throws IOException {
        byte[] bytes = body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        if (bytes.length > maxBytes) {
            throw tooLarge(maxBytes);
        }
        if (bytes.length == 0) {
            throw ApiException.invalidRequest("The request body is empty; send a JSON object.", null);
        }
        requireUtf8(bytes);
        return bytes;
    }

    /**
     * JSON parsers decode some invalid UTF-8 leniently (overlong forms such as C0 AF for '/'), so what the gateway
     * validated could differ from what another decoder reads; the JDK's decoder is strict.
     */
    private static void requireUtf8(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            decoder.decode(ByteBuffer.wrap(bytes));
        } catch (CharacterCodingException e) {
            throw ApiException.invalidRequest("The request body is not valid UTF-8; send JSON encoded as UTF-8.",
                    null, "invalid_json");
        }
    }

    public static ApiException tooLarge(long maxBytes) {
        return new ApiException(413, "The request body is larger than the limit of " + maxBytes + " bytes.",
                "invalid_request_error", null, "request_too_large");
    }
}
