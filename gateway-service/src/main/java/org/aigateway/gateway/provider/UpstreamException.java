package org.aigateway.gateway.provider;

import org.aigateway.support.errors.ApiException;

/**
 * The provider did not produce an answer. Carries the status and OpenAI-shaped error to give the client and,
 * when the upstream answered at all, the upstream's own status.
 */
public class UpstreamException extends Exception {
    private final ApiException clientError;
    private final Integer upstreamStatus;

    public UpstreamException(ApiException clientError, Integer upstreamStatus) {
        super(clientError.getMessage());
        this.clientError = clientError;
        this.upstreamStatus = upstreamStatus;
    }

    public static UpstreamException unreachable(String provider, String detail) {
        return new UpstreamException(new ApiException(502,
                "Upstream provider '" + provider + "' is unreachable: " + detail, "api_error", null, "upstream_unreachable"),
                null);
    }

    public static UpstreamException timeout(String provider) {
        return new UpstreamException(new ApiException(504,
                "Upstream provider '" + provider + "' did not answer in time.", "api_error", null, "upstream_timeout"),
                null);
    }

    public static UpstreamException badResponse(String provider, int upstreamStatus, String detail) {
        return new UpstreamException(new ApiException(502,
                "Upstream provider '" + provider + "' sent an invalid response: " + detail, "api_error", null,
                "upstream_invalid_response"), upstreamStatus);
    }

    public ApiException clientError() {
        return clientError;
    }

    public Integer upstreamStatus() {
        return upstreamStatus;
    }
}
