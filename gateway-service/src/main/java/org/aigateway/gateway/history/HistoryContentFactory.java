package org.aigateway.gateway.history;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.util.DataSize;
import io.dropwizard.validation.MinDataSize;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.NotNull;

import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** What of each request and response the history keeps, and at most how much of it. */
public class HistoryContentFactory {
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

    public HistoryContent build(ObjectMapper mapper) {
        return new HistoryContent(content, compiledPatterns(), maxStoredBytes.toBytes(), mapper);
    }

    private List<Pattern> compiledPatterns() {
        return redactPatterns.stream().map(Pattern::compile).toList();
    }
}
