package dev.nodekit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Calls through the bindings from Java: the jar's native library loads and answers. */
class SmokeTest {
    @Test
    void versionComesFromGo() {
        assertEquals("0.1.0", Nodekit.version());
    }

    @Test
    void collectDroppedRunsAGoGcEachCall() {
        // At least one cycle per call (the GC sentinel may run others meanwhile).
        long before = Nodekit.readGoRuntimeStats().getGCCycles();
        Nodekit.collectDropped();
        long once = Nodekit.readGoRuntimeStats().getGCCycles();
        Nodekit.collectDropped();
        long twice = Nodekit.readGoRuntimeStats().getGCCycles();
        assertTrue(once > before, "a Go GC cycle completed: " + before + " -> " + once);
        assertTrue(twice > once, "and another: " + once + " -> " + twice);
    }
}
