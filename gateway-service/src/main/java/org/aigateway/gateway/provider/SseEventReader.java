package org.aigateway.gateway.provider;

/**
 * Turns the lines of a {@code text/event-stream} into events, following the Server-Sent Events rules: {@code data}
 * lines accumulate, {@code event} names the event, a blank line ends it, comments and other fields are skipped.
 * One reader per stream; not thread-safe.
 */
final class SseEventReader {
    /** One complete event: its name ({@code message} unless the stream named it) and its data lines joined by LF. */
    record Event(String name, String data) {
    }

    private static final String DEFAULT_NAME = "message";

    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private String name = DEFAULT_NAME;

    /** Reads one line (without its line break); returns the event it completes, or null. */
    Event read(String line) {
        if (line.isEmpty()) {
            if (!hasData) {
                name = DEFAULT_NAME;
                return null;
            }
            Event event = new Event(name, data.toString());
            data.setLength(0);
            hasData = false;
            name = DEFAULT_NAME;
            return event;
        }
        if (line.charAt(0) == ':') {
            return null;
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        if (field.equals("data")) {
            if (hasData) {
                data.append('\n');
            }
            data.append(value);
            hasData = true;
        } else if (field.equals("event")) {
            name = value.isEmpty() ? DEFAULT_NAME : value;
        }
        return null;
    }
}
