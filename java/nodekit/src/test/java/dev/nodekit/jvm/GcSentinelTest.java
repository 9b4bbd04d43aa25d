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

    /**
     * Every collection is seen, young ones included: as many as the JVM's GC
     * beans count while this runs (young GCs come from allocating).
     */
    @Test
    void everyCollectionIsCounted() throws InterruptedException {
        Nodekit.version();
        long jvm0 = jvmCollections(), seen0 = GcSentinel.gcCycles();
        byte[][] keep = new byte[64][];
        for (int i = 0; i < 200_000; i++) { // garbage: a few young collections
            keep[i % keep.length] = new byte[4096];
        }
        System.gc();
        long jvm = jvmCollections() - jvm0;
        assertTrue(jvm >= 2, "the JVM ran " + jvm + " collections; the test needs some");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (GcSentinel.gcCycles() - seen0 < jvm && System.nanoTime() < deadline) {
            Thread.sleep(10); // notifications arrive on the JVM's notification thread
        }
        assertTrue(GcSentinel.gcCycles() - seen0 >= jvm,
                "the sentinel saw " + (GcSentinel.gcCycles() - seen0) + " of " + jvm + " collections");
        assertTrue(keep[0].length > 0);
    }

    static long jvmCollections() {
        long n = 0;
        for (java.lang.management.GarbageCollectorMXBean gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
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
