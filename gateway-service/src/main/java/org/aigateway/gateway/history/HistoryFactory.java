package org.aigateway.gateway.history;

import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.util.DataSize;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MaxDuration;
import io.dropwizard.validation.MinDataSize;
import io.dropwizard.validation.MinDuration;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.NotNull;
import org.jdbi.v3.core.Jdbi;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * What of each request and response the history keeps, and at most how much of it; and how soon a request's pending
 * row is written.
 */
public class HistoryFactory {
    /**
     * E-mail addresses, and card numbers: 13 to 19 digits, optionally grouped by spaces or dashes. Both run in time
     * linear in the text: an address is only tried where a run of address characters starts and its local part is
     * read possessively, and neither repeats a group without bound (which Java's regex engine does by recursion).
     */
    static final List<String> DEFAULT_REDACT_PATTERNS = List.of(
            "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++@[A-Za-z0-9.-]{1,253}\\.[A-Za-z]{2,24}",
            "\\b(?:\\d[ -]?){12,18}\\d\\b");

    @NotNull
    private HistoryContent.Mode content = HistoryContent.Mode.FULL;

    @NotNull
    private List<@NotNull String> redactPatterns = DEFAULT_REDACT_PATTERNS;

    @NotNull
    @MinDataSize(1024)
    private DataSize maxStoredBytes = DataSize.kibibytes(64);

    @NotNull
    @MinDuration(0)
    @MaxDuration(value = 1, unit = TimeUnit.MINUTES)
    private Duration pendingRowDelay = Duration.milliseconds(100);

    @JsonProperty
    public HistoryContent.Mode getContent() {
        return content;
    }

    @JsonProperty
    public void setContent(HistoryContent.Mode content) {
        this.content = content;
    }

    /** Regular expressions whose matches {@code redacted} replaces; a configured list replaces the defaults. */
    @JsonProperty
    public List<String> getRedactPatterns() {
        return redactPatterns;
    }

    @JsonProperty
    public void setRedactPatterns(List<String> redactPatterns) {
        this.redactPatterns = redactPatterns;
    }

    /** The most a stored request or response may take, as UTF-8 JSON; larger ones keep only their metadata. */
    @JsonProperty
    public DataSize getMaxStoredBytes() {
        return maxStoredBytes;
    }

    @JsonProperty
    public void setMaxStoredBytes(DataSize maxStoredBytes) {
        this.maxStoredBytes = maxStoredBytes;
    }

    /**
     * How long a whole (not streamed) answer's request runs before its pending row is written. A request that ends
     * sooner is written once, whole, by its closing; 0 writes every pending row at once. A gateway that dies within
     * this time of a request's start leaves no row for it.
     */
    @JsonProperty
    public Duration getPendingRowDelay() {
        return pendingRowDelay;
    }

    @JsonProperty
    public void setPendingRowDelay(Duration pendingRowDelay) {
        this.pendingRowDelay = pendingRowDelay;
    }

    @JsonIgnore
    @AssertTrue(message = "every history.redactPatterns entry must be a valid regular expression")
    public boolean isEveryRedactPatternValid() {
        // Missing entries are reported by @NotNull; here only the ones present are compiled.
        for (String pattern : redactPatterns == null ? List.<String>of() : redactPatterns) {
            try {
                if (pattern != null) {
                    Pattern.compile(pattern);
                }
            } catch (PatternSyntaxException e) {
                return false;
            }
        }
        return true;
    }

    public HistoryContent buildContent(ObjectMapper mapper) {
        return new HistoryContent(content, compiledPatterns(), maxStoredBytes.toBytes(), mapper);
    }

    public HistoryWriter buildWriter(Jdbi jdbi, MetricRegistry metrics) {
        return new HistoryWriter(jdbi, metrics, pendingRowDelay.toJavaDuration());
    }

    private List<Pattern> compiledPatterns() {
        return redactPatterns.stream().map(Pattern::compile).toList();
    }
}
