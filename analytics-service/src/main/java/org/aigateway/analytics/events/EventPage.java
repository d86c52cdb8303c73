package org.aigateway.analytics.events;

import java.util.List;

/** One page of events, newest first; {@code nextCursor} is null on the last page. */
public record EventPage(List<StoredEvent> data, boolean hasMore, String nextCursor) {
}
