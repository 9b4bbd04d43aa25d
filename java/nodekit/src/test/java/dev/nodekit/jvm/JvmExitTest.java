package dev.nodekit.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A JVM that used the bindings exits when main returns (no non-daemon helper
 * threads), with no Go thread left attached to it: the JVM would wait up to
 * 300 ms for each at its end (the time itself is measured by
 * {@code scripts/churn-java.sh exit}, side by side with a JVM without nodekit).
 */
class JvmExitTest {
    @Test
    void jvmExitsAfterMainReturnsWithNoGoThreadAttached() throws Exception {
        String output = runChild(ExitProbe.class);
        assertTrue(output.contains("0.1.0") && output.contains("group true true"), "unexpected output:\n" + output);
        Matcher before = Pattern.compile("(?m)^attached=(\\d+)").matcher(output);
        assertTrue(before.find(), "unexpected output:\n" + output);
        assertTrue(Integer.parseInt(before.group(1)) > 0,
                "no Go thread was attached after callbacks from 4 threads (the test needs some); output:\n" + output);
        Matcher after = Pattern.compile("after hook detached=(\\d+) leftAttached=(-?\\d+) rounds=(\\d+)").matcher(output);
        assertTrue(after.find(), "the shutdown hook did not report; output:\n" + output);
        assertTrue(Integer.parseInt(after.group(1)) > 0, "the hook detached no Go thread; output:\n" + output);
        assertEquals(0, Integer.parseInt(after.group(2)), "Go threads left attached at exit; output:\n" + output);
        // No SIGPIPE moved Go's signal goroutine here: the claims with the
        // poller woken must have freed every thread, without the slower
        // signal round (rounds 4).
        assertTrue(Integer.parseInt(after.group(3)) <= 3, "the hook needed the signal round; output:\n" + output);
    }

    /**
     * What the shutdown hook does: Go threads that called back into Java are
     * attached to the JVM (which would wait 300 ms for them at exit), and
     * releaseThreads detaches them: the JVM has that many threads fewer.
     */
    @Test
    void releaseThreadsDetachesTheGoThreadsThatCalledJava() throws Exception {
        String output = runChild(ReleaseProbe.class);
        Matcher m = Pattern.compile("detached=(\\d+) jvmThreadsGone=(-?\\d+)").matcher(output);
        assertTrue(m.find(), "unexpected output:\n" + output);
        int detached = Integer.parseInt(m.group(1)), gone = Integer.parseInt(m.group(2));
        assertTrue(detached > 0, "no Go thread was attached after callbacks from 4 threads; output:\n" + output);
        // Each detached Go thread is one JVM thread fewer (a finalizer queued before the
        // call may attach one again meanwhile, so not exactly).
        assertTrue(gone > 0 && gone <= detached, "JVM threads gone vs Go threads detached; output:\n" + output);
    }

    /** Runs main of probe in a child JVM that must exit by itself; returns its output. */
    static String runChild(Class<?> probe) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // Surefire puts the real test class path here (java.class.path may be a manifest jar).
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        File out = File.createTempFile("nodekit-exit-probe", ".txt");
        out.deleteOnExit();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", cp, probe.getName())
                .redirectErrorStream(true)
                .redirectOutput(out)
                .start();
        // Generous: a hung JVM never exits; a healthy one exits in about a second.
        boolean exited = p.waitFor(60, TimeUnit.SECONDS);
        String output = new String(Files.readAllBytes(out.toPath()), StandardCharsets.UTF_8);
        if (!exited) {
            p.destroyForcibly();
        }
        assertTrue(exited, "child JVM did not exit after main returned; output:\n" + output);
        assertEquals(0, p.exitValue(), "child JVM failed; output:\n" + output);
        return output;
    }
}
