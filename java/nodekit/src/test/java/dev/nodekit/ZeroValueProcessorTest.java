package dev.nodekit;

import static dev.nodekit.TestSupport.runChildJvm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nodekit.TestSupport.ChildJvm;
import org.junit.jupiter.api.Test;

/**
 * gobind gives Processor a public no-argument constructor (Processor is an
 * exported struct with no NewProcessor function), which makes a Go
 * Processor{} whose inner *proc is nil. Any call on it must not kill the JVM
 * (docs/architecture.md, "Panics become errors": every facade entry point recovers). Run in a child JVM,
 * since a Go panic there aborts the whole process.
 */
class ZeroValueProcessorTest {
    /** The child JVM: calls every Processor method on new Processor(). */
    public static final class Probe {
        public static void main(String[] args) {
            Processor p = new Processor();
            report("state", () -> String.valueOf(p.state()));
            report("submit", () -> {
                p.submit(new byte[] {1});
                return "returned";
            });
            report("updateState", () -> {
                p.updateState(new byte[] {1});
                return "returned";
            });
            report("counters", () -> String.valueOf(p.counters()));
            report("stop", () -> p.stop().toString());
            report("join", () -> p.join().toString());
            System.out.println("survived");
        }

        interface Call {
            String run() throws Exception;
        }

        private static void report(String what, Call c) {
            try {
                System.out.println(what + ": " + c.run());
            } catch (Exception e) {
                System.out.println(what + " threw: " + e);
            }
        }
    }

    @Test
    void callsOnANewProcessorDoNotKillTheJvm() throws Exception {
        ChildJvm child = runChildJvm(Probe.class, 60); // hang guard
        String output = child.output();
        assertTrue(child.exited(), "child JVM hung; output:\n" + output);
        assertEquals(0, child.exitValue(), "child JVM died; output:\n" + output);
        assertTrue(output.contains("survived"), output);
        assertTrue(!output.contains("stop: ok") && !output.contains("join: ok"),
                "stop()/join() of a processor that never ran must not report ok:\n" + output);
    }
}
