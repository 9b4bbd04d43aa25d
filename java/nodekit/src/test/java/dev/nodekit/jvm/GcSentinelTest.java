package dev.nodekit.jvm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nodekit.Nodekit;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GcSentinelTest {
    @Test
    void javaGcWakesTheSentinelWhichCollectsOnTheGoSide() throws InterruptedException {
        Nodekit.version(); // loads the library and starts the sentinel
        long cycles = GcSentinel.gcCycles();
        long collections = GcSentinel.collections();
        System.gc();
        // Generous deadline: this checks that the wake-up happens, not how fast.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        // Wait for both: a collection scheduled by an earlier GC may land before this GC is counted.
        while ((GcSentinel.gcCycles() <= cycles || GcSentinel.collections() <= collections)
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(GcSentinel.gcCycles() > cycles, "the sentinel saw no GC cycle after System.gc()");
        assertTrue(GcSentinel.collections() > collections, "collectDropped did not run after a GC cycle");
    }

    @Test
    void helperThreadsAreDaemons() {
        Nodekit.version();
        System.gc();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("nodekit-") || t.getName().startsWith("GoRefQueue")) {
                assertTrue(t.isDaemon(), t.getName() + " is not a daemon thread");
            }
        }
    }

    @Test
    void libraryComesFromTheJarResource() {
        assertTrue(NativeLoader.class.getClassLoader().getResource(NativeLoader.resourcePath()) != null,
                "no " + NativeLoader.resourcePath() + " on the class path");
    }
}
