package org.aigateway.gateway.chat;

import org.aigateway.support.errors.ApiException;

import java.io.IOException;
import java.io.InputStream;

/** Reads request bodies without ever holding more than the configured limit in memory. */
public final class RequestBodies {
    private RequestBodies() {
    }

    public static byte[] readAtMost(InputStream body, long maxBytes) throws IOException {
        byte[] bytes = body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        if (bytes.length > maxBytes) {
            throw tooLarge(maxBytes);
        }
        if (bytes.length == 0) {
            throw ApiException.invalidRequest("The request body is empty; send a JSON object.", null);
        }
        return bytes;
    }

    public static ApiException tooLarge(long maxBytes) {
        return new ApiException(413, "The request body is larger than the limit of " + maxBytes + " bytes.",
                "invalid_request_error", null, "request_too_large");
    }
}
