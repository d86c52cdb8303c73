package org.aigateway.gateway.provider;

import org.aigateway.support.errors.ApiException;
import org.aigateway.support.errors.ErrorBody;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.core5.http.NoHttpResponseException;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;

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

    /** The upstream accepted a stream and then broke it off before its end. */
    public static UpstreamException streamBroken(String provider, int upstreamStatus, String detail) {
        return new UpstreamException(new ApiException(502,
                "Upstream provider '" + provider + "' broke off the stream: " + detail, "api_error", null,
                "upstream_stream_broken"), upstreamStatus);
    }

    /** A call that failed on the network before any answer came: connect and read timeouts, refused connections. */
    public static UpstreamException ioFailure(String provider, IOException e) {
        if (e instanceof HttpConnectTimeoutException || e instanceof ConnectTimeoutException) {
            return unreachable(provider, "connect timed out");
        }
        if (e instanceof HttpTimeoutException || e instanceof SocketTimeoutException) {
            return timeout(provider);
        }
        return unreachable(provider, describe(e));
    }

    /** What went wrong on the network, in words a client can read; Java class names stay in the logs. */
    public static String describe(Throwable failure) {
        if (failure instanceof java.net.ConnectException) {
            return "connection refused";
        }
        if (failure instanceof java.net.UnknownHostException) {
            return "unknown host";
        }
        if (failure instanceof javax.net.ssl.SSLException) {
            return "TLS failure";
        }
        if (failure instanceof java.io.EOFException || failure instanceof java.nio.channels.ClosedChannelException
                || failure instanceof NoHttpResponseException) {
            return "connection closed";
        }
        return failure instanceof IOException ? "network error" : "request could not be sent";
    }

    /**
     * The upstream answered with an error status: the client gets the upstream's status and message, except that a
     * refused gateway key is a bad gateway (not the client's fault, and its message may echo the key) and a status
     * outside 4xx/5xx is a bad gateway too.
     *
     * @param message the upstream's message, or null when it gave none
     * @param type    the OpenAI error type, or null for the usual one of the client status
     */
    public static UpstreamException rejected(String provider, int status, String message, String type, String param,
                                             String code) {
        if (status == 401 || status == 403) {
            return new UpstreamException(new ApiException(502, "Upstream provider '" + provider
                    + "' rejected the gateway's credentials (HTTP " + status + ").", "api_error", null,
                    "upstream_auth_failed"), status);
        }
        int clientStatus = status >= 400 && status <= 599 ? status : 502;
        return new UpstreamException(new ApiException(clientStatus,
                message != null ? message : "Upstream provider '" + provider + "' answered HTTP " + status + ".",
                type != null ? type : ErrorBody.typeFor(clientStatus), param, code), status);
    }

    public ApiException clientError() {
        return clientError;
    }

    public Integer upstreamStatus() {
        return upstreamStatus;
    }
}
