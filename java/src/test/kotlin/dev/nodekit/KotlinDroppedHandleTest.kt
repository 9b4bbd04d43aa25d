package dev.nodekit

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import java.lang.ref.ReferenceQueue
import java.lang.ref.WeakReference
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit

/** Handles dropped without stop(), from Kotlin: the same behaviours as DroppedHandleTest. */
@Timeout(value = 90, unit = TimeUnit.SECONDS) // hang guard only
class KotlinDroppedHandleTest {
    /** Starts a group and keeps no reference to it. */
    private fun startAndDropGroup(calls: CallLog, stopped: CountDownLatch) {
        val g = Group()
        g.add("a", calls.service("a"))
        g.add("b", service(start = { calls.add("start b") }, stop = { calls.add("stop b"); stopped.countDown() }))
        g.start().orThrow()
    }

    @Test
    fun aDroppedGroupIsStoppedAfterJavaGc() {
        val calls = CallLog()
        val stopped = CountDownLatch(1)
        startAndDropGroup(calls, stopped)
        assertTrue(gcUntil(stopped), "the dropped group was not stopped; calls: ${calls.snapshot()}")
        calls.await("stop a")
        assertEquals(listOf("start a", "start b", "stop b", "stop a"), calls.snapshot())
    }

    /** Starts a processor, updates its state and drops it; the handler is only weakly referenced here. */
    private fun startAndDropProcessor(store: MemoryPersister, released: ReferenceQueue<EventHandler>): WeakReference<EventHandler> {
        // An object expression, not a lambda: a non-capturing lambda is a cached singleton.
        val handler = object : EventHandler {
            override fun handleEvent(event: ByteArray?) {}
        }
        val p = Nodekit.startProcessor(null, store, handler, null)
        (1..20).forEach { p.updateState("v$it".utf8()) }
        return WeakReference(handler, released)
    }

    @Test
    fun aDroppedProcessorEndsAfterJavaGcWithItsLatestStatePersisted() {
        val store = MemoryPersister()
        val released = ReferenceQueue<EventHandler>()
        val handler = startAndDropProcessor(store, released)
        // Go releases the handler only when the processor's loop has ended (after its final persist).
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20)
        while (handler.get() != null && System.nanoTime() < deadline) {
            System.gc()
            released.remove(200)
        }
        assertNull(handler.get(), "the dropped processor was not released")
        assertEquals("state", store.last?.key)
        assertEquals("v20", store.last?.text)
    }
}
