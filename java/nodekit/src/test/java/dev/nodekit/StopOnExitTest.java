package dev.nodekit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** StopOnExit, in a child JVM that returns from main. */
class StopOnExitTest {
    @Test
    void theShutdownHookStopsHandlesInReverseOrderBoundedByTheirStopTimeouts() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        File out = File.createTempFile("nodekit-stop-on-exit", ".txt");
        out.deleteOnExit();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", cp, StopOnExitProbe.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(out)
                .start();
        // The hanging stop() hook sleeps 60 s: exiting well before that shows the 300 ms bound applied.
        boolean exited = p.waitFor(30, TimeUnit.SECONDS);
        String output = new String(Files.readAllBytes(out.toPath()), StandardCharsets.UTF_8);
        if (!exited) {
            p.destroyForcibly();
        }
        assertTrue(exited, "child JVM did not exit; output:\n" + output);
        assertEquals(0, p.exitValue(), "child JVM failed; output:\n" + output);
        List<String> stops = Arrays.stream(output.split("\n"))
                .filter(l -> l.startsWith("stop ") || l.startsWith("unregistered") || l.equals("main returns"))
                .collect(Collectors.toList());
        assertEquals(List.of("unregistered true false", "main returns", "stop b", "stop a", "stop hangs"), stops, output);
    }

    @Test
    void aRegisteredWorkerIsShutDownOnExitFirstAfterItsPendingTask() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", cp,
                        WorkerStopOnExitProbe.class.getName(), WorkerTest.workerhost())
                .redirectErrorStream(true)
                .start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8); // until the JVM exits
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), output);
        assertEquals(0, p.exitValue(), output);
        List<String> lines = Arrays.asList(output.split("\n"));
        assertEquals(List.of("main returns", "worker alive: false", "task: slept 500ms"), lines, output);
    }
}
