package org.aigateway.gateway.session;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import org.aigateway.gateway.history.HistoryPage;

/** A session with a page of its requests, newest first; further pages come with the page's {@code next_cursor}. */
@JsonPropertyOrder({"session", "requests"})
public record SessionDetail(@JsonUnwrapped SessionRecord session, HistoryPage requests) {
}
