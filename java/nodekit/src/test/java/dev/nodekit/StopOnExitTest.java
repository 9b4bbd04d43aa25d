package dev.nodekit;

import static dev.nodekit.TestSupport.runChildJvm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nodekit.TestSupport.ChildJvm;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** StopOnExit, in a child JVM that returns from main. */
class StopOnExitTest {
    @Test
    void theShutdownHookStopsHandlesInReverseOrderBoundedByTheirStopTimeouts() throws Exception {
        // The hanging stop() hook sleeps 60 s: exiting well before that shows the 300 ms bound applied.
        ChildJvm child = runChildJvm(StopOnExitProbe.class, 30);
        String output = child.output();
        assertTrue(child.exited(), "child JVM did not exit; output:\n" + output);
        assertEquals(0, child.exitValue(), "child JVM failed; output:\n" + output);
        List<String> stops = Arrays.stream(output.split("\n"))
                .filter(l -> l.startsWith("stop ") || l.startsWith("unregistered") || l.equals("main returns"))
                .collect(Collectors.toList());
        assertEquals(List.of("unregistered true false", "main returns", "stop b", "stop a", "stop hangs"), stops, output);
    }

    @Test
    void aRegisteredWorkerIsShutDownOnExitFirstAfterItsPendingTask() throws Exception {
        ChildJvm child = runChildJvm(WorkerStopOnExitProbe.class, 30, WorkerTest.workerhost());
        String output = child.output();
        assertTrue(child.exited(), output);
        assertEquals(0, child.exitValue(), output);
        List<String> lines = Arrays.asList(output.split("\n"));
        assertEquals(List.of("main returns", "worker alive: false", "task: slept 500ms"), lines, output);
    }
}
