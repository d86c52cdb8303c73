package org.aigateway.bench.streams;

import java.util.concurrent.Flow;

/**
 * Reads one server-sent event stream line by line and judges it: complete only if it carried at least one
 * {@code chat.completion.chunk} and ended with {@code data: [DONE]}.
 */
final class SseStream implements Flow.Subscriber<String> {
    private static final String DATA = "data:";

    private final StreamTally tally;
    private int chunks;
    private boolean done;
    private boolean opened;

    SseStream(StreamTally tally) {
        this.tally = tally;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(String line) {
        if (!line.startsWith(DATA)) {
            return;
        }
        if (!opened) {
            opened = true;
            tally.opened();
        }
        String data = line.substring(DATA.length()).trim();
        if ("[DONE]".equals(data)) {
            done = true;
        } else if (data.contains("\"chat.completion.chunk\"")) {
            chunks++;
            tally.chunk();
        }
    }

    @Override
    public void onError(Throwable failure) {
        finish();
        tally.failed("broken_" + failure.getClass().getSimpleName(), String.valueOf(failure.getMessage()));
    }

    @Override
    public void onComplete() {
        finish();
        if (done && chunks > 0) {
            tally.completed();
        } else {
            tally.failed("ended_without_done", "stream ended after " + chunks + " chunks without data: [DONE]");
        }
    }

    private void finish() {
        if (opened) {
            tally.closed();
        }
    }
}
