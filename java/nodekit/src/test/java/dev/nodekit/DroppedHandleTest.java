package dev.nodekit;

import static dev.nodekit.TestSupport.bytes;
import static dev.nodekit.TestSupport.gcUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nodekit.ProcessorTest.RecordingPersister;
import dev.nodekit.TestSupport.RecordingService;
import dev.nodekit.TestSupport.Recorder;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Handles dropped without stop(): once the JVM collects the proxy, the jar's GC
 * sentinel runs a Go GC, and Go's cleanup stops the handle. (The documented way
 * to end a handle is stop(); this is the safety net.)
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS) // hang guard only
class DroppedHandleTest {
    /** How long the GC loop may take; a healthy run needs well under a second. */
    static final long GC_SECONDS = 20;

    /** Starts a group and returns without keeping any reference to it. */
    private static void startAndDropGroup(Recorder calls, CountDownLatch stopped) throws Exception {
        Group g = new Group();
        g.add("a", new RecordingService("a", calls));
        g.add("b", new RecordingService("b", calls) {
            @Override
            public void stop() throws Exception {
                super.stop();
                stopped.countDown();
            }
        });
        Result r = g.start();
        assertTrue(r.isOk(), r.toString());
    }

    @Test
    void aDroppedGroupIsStoppedAfterJavaGc() throws Exception {
        Recorder calls = new Recorder();
        CountDownLatch stopped = new CountDownLatch(1);
        startAndDropGroup(calls, stopped);
        assertTrue(gcUntil(stopped, GC_SECONDS), "the dropped group was not stopped; calls: " + calls.snapshot());
        calls.await("stop a");
        assertEquals(List.of("start a", "start b", "stop b", "stop a"), calls.snapshot());
    }

    /**
     * Starts a processor with the given persister and a handler that only a
     * weak reference (returned) points to, hands it several states and drops it.
     */
    private static WeakReference<EventHandler> startAndDropProcessor(RecordingPersister store,
            ReferenceQueue<EventHandler> released) throws Exception {
        // A new object: a non-capturing lambda would be a cached singleton, never collected.
        EventHandler handler = new EventHandler() {
            @Override
            public void handleEvent(byte[] event) {}
        };
        Processor p = Nodekit.startProcessor(null, store, handler, null);
        p.submit(bytes("event"));
        for (int i = 1; i <= 20; i++) {
            p.updateState(bytes("v" + i));
        }
        return new WeakReference<>(handler, released);
    }

    @Test
    void aDroppedProcessorEndsAfterJavaGcWithItsLatestStatePersisted() throws Exception {
        RecordingPersister store = new RecordingPersister();
        ReferenceQueue<EventHandler> released = new ReferenceQueue<>();
        WeakReference<EventHandler> handler = startAndDropProcessor(store, released);
        // The handler is only reachable through the processor's loop. Once Go
        // has stopped and freed the processor, it releases its proxy of the
        // handler and the JVM can collect it: that proves the loop has ended
        // (and with it the final persist).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(GC_SECONDS);
        while (handler.get() != null && System.nanoTime() < deadline) {
            System.gc();
            released.remove(200); // wakes as soon as the handler is collected
        }
        assertTrue(handler.get() == null, "the dropped processor was not released within " + GC_SECONDS + " s");
        assertNotNull(store.last(), "nothing was persisted");
        assertEquals("v20", store.last().text());
        assertEquals("state", store.last().key());
    }
}
