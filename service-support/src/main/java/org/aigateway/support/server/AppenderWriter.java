package org.aigateway.support.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.spi.AppenderAttachableImpl;
import org.eclipse.jetty.server.RequestLog;
import org.eclipse.jetty.util.component.AbstractLifeCycle;

import java.time.Instant;

/** Hands each request log line to the appenders as an event of the {@code http.request} logger; stops them with it. */
final class AppenderWriter extends AbstractLifeCycle implements RequestLog.Writer {
    private static final String LOGGER_NAME = "http.request";

    private final LoggerContext context;
    private final AppenderAttachableImpl<ILoggingEvent> appenders;

    AppenderWriter(LoggerContext context, AppenderAttachableImpl<ILoggingEvent> appenders) {
        this.context = context;
        this.appenders = appenders;
    }

    @Override
    public void write(String line) {
        LoggingEvent event = new LoggingEvent();
        event.setLoggerContext(context);
        event.setLoggerName(LOGGER_NAME);
        event.setLevel(Level.INFO);
        event.setMessage(line);
        event.setInstant(Instant.now());
        appenders.appendLoopOnAppenders(event);
    }

    @Override
    protected void doStop() {
        appenders.detachAndStopAllAppenders();
    }
}
