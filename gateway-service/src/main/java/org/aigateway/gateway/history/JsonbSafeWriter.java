package org.aigateway.gateway.history;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;

/**
 * Writes JSON that PostgreSQL's jsonb accepts: jsonb cannot hold U+0000, which JSON allows, so it is written as
 * U+FFFD. Used for everything stored as jsonb here or downstream (history rows, event payloads).
 */
public final class JsonbSafeWriter extends CharacterEscapes {
    private static final SerializableString REPLACEMENT = new SerializedString("\\ufffd");
    private static final JsonbSafeWriter ESCAPES = new JsonbSafeWriter();

    private final int[] asciiEscapes = standardAsciiEscapesForJSON();

    private JsonbSafeWriter() {
        asciiEscapes[0] = ESCAPE_CUSTOM;
    }

    public static ObjectWriter of(ObjectMapper mapper) {
        return mapper.writer().with(ESCAPES);
    }

    @Override
    public int[] getEscapeCodesForAscii() {
        return asciiEscapes;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
        return ch == 0 ? REPLACEMENT : null;
    }
}
