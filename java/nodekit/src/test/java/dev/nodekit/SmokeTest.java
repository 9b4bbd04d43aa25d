package dev.nodekit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Calls through the bindings from Java: the jar's native library loads and answers. */
class SmokeTest {
    @Test
    void versionComesFromGo() {
        assertEquals("0.1.0", Nodekit.version());
    }

    @Test
    void collectDroppedRuns() {
        Nodekit.collectDropped();
        Nodekit.collectDropped();
    }
}
