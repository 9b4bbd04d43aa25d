package dev.nodekit.jvm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nodekit.Nodekit;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
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
        assertTrue(GcSentinel.awaitBurst(cycles + 1, 20, TimeUnit.SECONDS),
                "the sentinel saw no GC cycle after System.gc(), or its collectDropped calls did not run");
        assertTrue(GcSentinel.collections() > collections, "collectDropped did not run after a GC cycle");
    }

    /**
     * Every collection is seen, young ones included: as many as the JVM's GC
     * beans count while this runs (young GCs come from allocating).
     */
    @Test
    void everyCollectionIsCounted() throws InterruptedException {
        Nodekit.version();
        long seen0 = GcSentinel.gcCycles(), jvm0 = jvmCollections(false), young0 = jvmCollections(true);
        byte[][] keep = new byte[64][];
        for (int i = 0; i < 200_000; i++) { // garbage: a few young collections
            keep[i % keep.length] = new byte[4096];
        }
        System.gc();
        long jvm = jvmCollections(false) - jvm0, young = jvmCollections(true) - young0;
        assertTrue(young >= 1 && jvm > young, "the JVM ran " + jvm + " collections, " + young
                + " of them young; the test needs young and full ones");
        // The notifications arrive on the JVM's notification thread, after the collections.
        boolean all = GcSentinel.awaitBurst(seen0 + jvm, 20, TimeUnit.SECONDS);
        assertTrue(all, "the sentinel saw " + (GcSentinel.gcCycles() - seen0) + " of " + jvm + " collections");
        assertTrue(keep[0].length > 0);
    }

    /** Collections the GC beans counted: all, or those of the young-generation collector only. */
    static long jvmCollections(boolean youngOnly) {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (!youngOnly || isYoung(gc.getName())) {
                n += Math.max(0, gc.getCollectionCount());
            }
        }
        return n;
    }

    /** The young collectors of HotSpot's GCs: G1, Parallel, Serial, and ZGC/Shenandoah's minor cycles. */
    static boolean isYoung(String name) {
        return name.contains("Young") || name.contains("Scavenge") || name.equals("Copy") || name.contains("Minor");
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
