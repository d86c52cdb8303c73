package org.aigateway.bench.pipeline;

import org.aigateway.bench.Args;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A JFR recording of the analytics service over the timed runs alone, when {@code --jfr-file} asks for one: started
 * before the warm-up, it would mostly show the JIT compiler at work.
 */
final class Profile {
    private static final Profile NONE = new Profile(0);

    private final long pid;

    private Profile(long pid) {
        this.pid = pid;
    }

    static Profile start(Args args, long pid) throws IOException, InterruptedException {
        String file = args.string("jfr-file", null);
        if (file == null) {
            return NONE;
        }
        Profile profile = new Profile(pid);
        profile.jcmd("JFR.start", "name=bench", "settings=" + args.string("jfr-settings", "profile"),
                "filename=" + file);
        return profile;
    }

    void stop() throws IOException, InterruptedException {
        if (this != NONE) {
            jcmd("JFR.stop", "name=bench");
        }
    }

    private void jcmd(String... command) throws IOException, InterruptedException {
        List<String> line = new ArrayList<>(List.of("jcmd", Long.toString(pid)));
        line.addAll(List.of(command));
        Process jcmd = new ProcessBuilder(line).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
        if (!jcmd.waitFor(1, TimeUnit.MINUTES) || jcmd.exitValue() != 0) {
            throw new IOException(String.join(" ", line) + " failed");
        }
    }
}
