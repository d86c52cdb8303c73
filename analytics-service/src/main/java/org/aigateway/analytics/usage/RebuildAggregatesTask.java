package org.aigateway.analytics.usage;

import io.dropwizard.servlets.tasks.Task;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

/** {@code POST /tasks/rebuild-aggregates}: recomputes the usage aggregates from the event log in one transaction. */
public class RebuildAggregatesTask extends Task {
    private final UsageDao usage;

    public RebuildAggregatesTask(UsageDao usage) {
        super("rebuild-aggregates");
        this.usage = usage;
    }

    @Override
    public void execute(Map<String, List<String>> parameters, PrintWriter output) {
        UsageDao.RebuildResult result = usage.rebuild();
        output.printf("rebuilt %d user total(s) and %d user-day row(s)%n", result.users(), result.days());
        output.flush();
    }
}
