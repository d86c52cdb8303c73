package org.aigateway.support.server;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.pattern.PatternLayoutBase;
import ch.qos.logback.core.spi.AppenderAttachableImpl;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import io.dropwizard.logging.common.AppenderFactory;
import io.dropwizard.logging.common.ConsoleAppenderFactory;
import io.dropwizard.logging.common.async.AsyncLoggingEventAppenderFactory;
import io.dropwizard.logging.common.filter.NullLevelFilterFactory;
import io.dropwizard.request.logging.RequestLogFactory;
import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import org.eclipse.jetty.server.CustomRequestLog;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code requestLog: type: formatted}: a request log whose lines Jetty formats from {@code format} (the directives of
 * Jetty's {@link CustomRequestLog}) as each request ends, and the configured appenders write, each through its
 * asynchronous queue like every Dropwizard appender. Dropwizard's default request log (logback-access) copies every
 * header, cookie and attribute of a request for that queue whatever its pattern prints; that copy was most of the
 * request log's cost, and the request log about a tenth of the gateway's CPU per request (docs/benchmarks.md).
 * A format that could print an API key is refused: request headers and cookies ({@code %i}, {@code %C}), the query
 * string ({@code %q}) and the request line that contains it ({@code %r}).
 */
@JsonTypeName("formatted")
public class FormattedRequestLogFactory implements RequestLogFactory<CustomRequestLog> {
    /**
     * Client address, time in UTC, method, path without query string, protocol, status, response body bytes and the
     * milliseconds the request took: {@code 127.0.0.1 - [05/Dec/2026:23:36:34 +0000] "POST /v1/chat/completions
     * HTTP/1.1" 200 438 2}.
     */
    public static final String DEFAULT_FORMAT =
            "%{client}a - %{dd/MMM/yyyy:HH:mm:ss Z|UTC}t \"%m %U %H\" %s %O %{ms}T";
    /** A directive, with its optional status condition and parameter, that prints a header, cookie or query. */
    private static final Pattern SECRET_BEARING = Pattern.compile("%!?[0-9,]*(\\{[^}]*})?[iCqr]");
    private static final String LINE = "%msg%n";

    @NotEmpty
    private String format = DEFAULT_FORMAT;

    @Valid
    @NotNull
    private List<AppenderFactory<ILoggingEvent>> appenders = List.of(new ConsoleAppenderFactory<>());

    @JsonProperty
    public String getFormat() {
        return format;
    }

    @JsonProperty
    public void setFormat(String format) {
        this.format = format;
    }

    @JsonProperty
    public List<AppenderFactory<ILoggingEvent>> getAppenders() {
        return appenders;
    }

    @JsonProperty
    public void setAppenders(List<AppenderFactory<ILoggingEvent>> appenders) {
        this.appenders = appenders;
    }

    @JsonIgnore
    @AssertTrue(message = "must not print request headers, cookies, the query string or the request line "
            + "(%i, %C, %q, %r): they can hold API keys")
    public boolean isFormatFreeOfSecrets() {
        return format == null || !SECRET_BEARING.matcher(format).find();
    }

    @Override
    @JsonIgnore
    public boolean isEnabled() {
        return !appenders.isEmpty();
    }

    @Override
    public CustomRequestLog build(String name) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        AppenderAttachableImpl<ILoggingEvent> attached = new AppenderAttachableImpl<>();
        for (AppenderFactory<ILoggingEvent> appender : appenders) {
            attached.addAppender(appender.build(context, name, (ctx, timeZone) -> lineLayout(ctx),
                    new NullLevelFilterFactory<>(), new AsyncLoggingEventAppenderFactory()));
        }
        return new CustomRequestLog(new AppenderWriter(context, attached), format);
    }

    /** The line as Jetty formatted it; an appender's {@code logFormat} may add to it (a level, a logger name). */
    private static PatternLayoutBase<ILoggingEvent> lineLayout(LoggerContext context) {
        PatternLayout layout = new PatternLayout();
        layout.setContext(context);
        layout.setPattern(LINE);
        return layout;
    }
}
