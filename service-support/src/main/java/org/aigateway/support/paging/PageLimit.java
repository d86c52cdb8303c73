package org.aigateway.support.paging;

import org.aigateway.support.errors.ApiException;

/** Reads a list endpoint's {@code limit} query parameter: absent means the default, anything else must be in range. */
public final class PageLimit {
    private PageLimit() {
    }

    public static int parse(String value, int defaultLimit, int maxLimit) {
        if (value == null || value.isBlank()) {
            return defaultLimit;
        }
        try {
            int limit = Integer.parseInt(value.strip());
            if (limit >= 1 && limit <= maxLimit) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // Same answer as an out-of-range number.
        }
        throw ApiException.invalidRequest("Invalid 'limit': use a whole number from 1 to " + maxLimit + ".", "limit");
    }
}
