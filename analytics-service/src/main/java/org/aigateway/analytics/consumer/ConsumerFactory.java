package org.aigateway.analytics.consumer;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.DataSize;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDataSize;
import io.dropwizard.validation.MinDuration;
import io.dropwizard.validation.ValidationMethod;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** The {@code consumer:} block: how the work queues are drained, retried and dead-lettered. */
public class ConsumerFactory {
    @Min(1)
    @Max(64)
    private int workers = 2;

    @Min(1)
    @Max(65535)
    private int prefetch = 1000;

    @Min(1)
    @Max(5000)
    private int batchSize = 500;

    @NotNull
    @MinDuration(value = 1, unit = TimeUnit.MILLISECONDS)
    private Duration batchWait = Duration.milliseconds(200);

    @Min(1)
    private int maxAttempts = 4;

    @NotEmpty
    private List<@NotNull @MinDuration(value = 1, unit = TimeUnit.MILLISECONDS) Duration> retryDelays = List.of(
            Duration.seconds(1), Duration.seconds(5), Duration.seconds(30));

    @NotNull
    @MinDuration(value = 10, unit = TimeUnit.MILLISECONDS)
    private Duration databaseCheckInterval = Duration.seconds(1);

    @Min(0)
    private long deadLetterThreshold = 0;

    @NotNull
    @MinDataSize(1024)
    private DataSize maxEventSize = DataSize.mebibytes(8);

    /** Workers per work queue, each with a channel, a thread and a prefetch of its own. */
    @JsonProperty
    public int getWorkers() {
        return workers;
    }

    @JsonProperty
    public void setWorkers(int workers) {
        this.workers = workers;
    }

    @JsonProperty
    public int getPrefetch() {
        return prefetch;
    }

    @JsonProperty
    public void setPrefetch(int prefetch) {
        this.prefetch = prefetch;
    }

    @JsonProperty
    public int getBatchSize() {
        return batchSize;
    }

    @JsonProperty
    public void setBatchSize(int batchSize) {
        this.batchSize = batchSize;
    }

    @JsonProperty
    public Duration getBatchWait() {
        return batchWait;
    }

    @JsonProperty
    public void setBatchWait(Duration batchWait) {
        this.batchWait = batchWait;
    }

    @JsonProperty
    public int getMaxAttempts() {
        return maxAttempts;
    }

    @JsonProperty
    public void setMaxAttempts(int maxAttempts) {
        this.maxAttempts = maxAttempts;
    }

    @JsonProperty
    public List<Duration> getRetryDelays() {
        return retryDelays;
    }

    @JsonProperty
    public void setRetryDelays(List<Duration> retryDelays) {
        this.retryDelays = retryDelays;
    }

    @JsonProperty
    public Duration getDatabaseCheckInterval() {
        return databaseCheckInterval;
    }

    @JsonProperty
    public void setDatabaseCheckInterval(Duration databaseCheckInterval) {
        this.databaseCheckInterval = databaseCheckInterval;
    }

    @JsonProperty
    public long getDeadLetterThreshold() {
        return deadLetterThreshold;
    }

    @JsonProperty
    public void setDeadLetterThreshold(long deadLetterThreshold) {
        this.deadLetterThreshold = deadLetterThreshold;
    }

    /** Larger messages are dead-lettered unread; events carry their request, so keep it above the gateway's limit. */
    @JsonProperty
    public DataSize getMaxEventSize() {
        return maxEventSize;
    }

    @JsonProperty
    public void setMaxEventSize(DataSize maxEventSize) {
        this.maxEventSize = maxEventSize;
    }

    /** A batch is acknowledged only once complete, so a batch larger than the prefetch would never fill up. */
    @JsonIgnore
    @ValidationMethod(message = "consumer.prefetch must be at least consumer.batchSize")
    public boolean isPrefetchAtLeastBatchSize() {
        return prefetch >= batchSize;
    }

    /** The retry queue delays as the broker topology takes them. */
    public List<java.time.Duration> retryDelayDurations() {
        return retryDelays.stream().map(Duration::toJavaDuration).toList();
    }

    /** The delay before the given failed attempt (1-based) is tried again; the last delay repeats. */
    public java.time.Duration delayAfterAttempt(int attempt) {
        List<java.time.Duration> delays = retryDelayDurations();
        return delays.get(Math.min(attempt, delays.size()) - 1);
    }
}
