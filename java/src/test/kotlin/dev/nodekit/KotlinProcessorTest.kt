package dev.nodekit

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.junit.jupiter.api.assertThrows
import java.io.IOException
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import java.util.concurrent.atomic.AtomicReference

/** The processor from Kotlin: the same behaviours as ProcessorTest. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // hang guard only
class KotlinProcessorTest {
    private fun event(i: Int) = byteArrayOf((i shr 8).toByte(), i.toByte(), 0, 0xff.toByte(), 0x80.toByte())

    @Test
    fun submittedEventsReachTheHandlerInOrderWithTheirBytes() {
        val got = LinkedBlockingQueue<ByteArray>()
        val p = Nodekit.startProcessor(ProcessorConfig(), null, { e -> got += e }, null)
        p.use {
            repeat(500) { i ->
                val e = event(i)
                it.submit(e)
                e.fill(0x55) // the processor kept its own copy
            }
            repeat(500) { i -> assertArrayEquals(event(i), got.next("event $i"), "event $i") }
        }
        assertEquals(500L, p.counters().eventsHandled)
        assertEquals(0L, p.counters().retries)
        assertEquals(Nodekit.StateStopped, p.state())
    }

    @Test
    fun aThrowingHandlerGetsTheSameEventAgainInOrder() {
        val cfg = ProcessorConfig().apply {
            retryBackoffMillis = 1
            maxRetryBackoffMillis = 5
        }
        val attempts = LinkedBlockingQueue<String>()
        val refusals = AtomicInteger(3)
        val p = Nodekit.startProcessor(cfg, null, { e ->
            val s = e.decodeToString()
            attempts += s
            if (s == "b" && refusals.getAndDecrement() > 0) throw IOException("peer not ready")
        }, null)
        p.use {
            listOf("a", "b", "c", "d").forEach { s -> it.submit(s.utf8()) }
            assertEquals(listOf("a", "b", "b", "b", "b", "c", "d"), List(7) { n -> attempts.next("attempt ${n + 1}") })
        }
        assertEquals(3L, p.counters().retries)
        assertEquals(4L, p.counters().eventsHandled)
    }

    @Test
    fun updateStatePersistsUnderTheDefaultOrConfiguredKey() {
        val store = MemoryPersister()
        Nodekit.startProcessor(null, store, null, null).use { p ->
            val snapshot = "v1".utf8()
            p.updateState(snapshot)
            snapshot[0] = 'X'.code.toByte()
            assertEquals("state", store.writes.next("persist").key)
            assertEquals("v1", store.last?.text)
        }
        assertEquals(1, store.count, "unchanged state is not persisted again on stop")

        val wallet = MemoryPersister()
        val cfg = ProcessorConfig().apply { stateKey = "wallet" }
        Nodekit.startProcessor(cfg, wallet, null, null).use { p ->
            p.updateState("balance=5".utf8())
            val w = wallet.writes.next("persist")
            assertEquals("wallet", w.key)
            assertEquals("balance=5", w.text)
        }
    }

    @Test
    fun theInitialStateIsNotPersistedUntilItChanges() {
        val store = MemoryPersister()
        val cfg = ProcessorConfig().apply { initialState = "loaded".utf8() }
        val p = Nodekit.startProcessor(cfg, store, null, null)
        p.use { }
        assertEquals(0, store.count)
        assertEquals(0L, p.counters().persists)
    }

    @Test
    fun aThrowingPersisterStopsTheProcessorWithKindPersist() {
        val store = MemoryPersister().apply { failure = IOException("disk full") }
        val p = Nodekit.startProcessor(null, store, null, null)
        p.updateState("x".utf8())
        val e = assertThrows<NodekitException> { p.join().orThrow() }
        assertEquals(Nodekit.KindPersist, e.kind)
        assertTrue("disk full" in e.message!!, e.message)
        assertEquals(e.message, p.stop().message())
        assertTrue(p.counters().persistFailures >= 1)
        assertEquals(Nodekit.StateFailed, p.state())
    }

    @Test
    fun stopMakesAFinalPersistOfTheLatestState() {
        val store = MemoryPersister()
        Nodekit.startProcessor(null, store, null, null).use { p ->
            (1..50).forEach { p.updateState("v$it".utf8()) }
        }
        assertEquals("v50", store.last?.text)
    }

    @Test
    fun stopPersistsStateUpdatedWhileTheHandlerWasBusy() {
        val store = MemoryPersister()
        val inHandler = CountDownLatch(1)
        val release = CountDownLatch(1)
        val p = Nodekit.startProcessor(null, store, { inHandler.countDown(); release.await() }, null)
        p.submit("slow".utf8())
        inHandler.awaitOrFail("the handler")
        p.updateState("latest".utf8())
        val pool = Executors.newSingleThreadExecutor()
        try {
            val stopping = pool.submit<Result> { p.stop() }
            release.countDown()
            stopping.get(WAIT_SECS, TimeUnit.SECONDS).orThrow()
        } finally {
            pool.shutdownNow()
        }
        assertEquals("latest", store.last?.text)
    }

    @Test
    fun timersCallTheKotlinCallbackRepeatedly() {
        val fired = LinkedBlockingQueue<Long>()
        val cfg = ProcessorConfig().apply { addTimer("tick", 5) { now -> fired += now } }
        val before = System.currentTimeMillis()
        val p = Nodekit.startProcessor(cfg, null, null, null)
        p.use {
            val first = fired.next("first fire")
            val second = fired.next("second fire")
            assertTrue(first in (before - 1000)..(System.currentTimeMillis() + 1000), "Unix millis: $first")
            assertTrue(second >= first)
        }
        assertTrue(p.counters().timerFires >= 2)
    }

    @Test
    fun aThrowingTimerIsCountedAndLoggedAndTheProcessorGoesOn() {
        val log = QueuedLogger()
        val handled = LinkedBlockingQueue<String>()
        val cfg = ProcessorConfig().apply { addTimer("flaky", 5) { throw IllegalStateException("tick failed") } }
        val p = Nodekit.startProcessor(cfg, null, { e -> handled += e.decodeToString() }, log)
        p.use {
            log.await(Nodekit.LevelWarn, "timer failed", "flaky", "tick failed")
            it.submit("still alive".utf8())
            assertEquals("still alive", handled.next("an event after the timer failure"))
        }
        assertTrue(p.counters().timerFailures >= 1)
    }

    @Test
    fun addTimerRejectsBadArguments() {
        val cfg = ProcessorConfig()
        assertThrows<Exception> { cfg.addTimer("null", 10, null) }
        assertThrows<Exception> { cfg.addTimer("zero", 0) { } }
    }

    @Test
    fun nullsAreAccepted() {
        Nodekit.startProcessor(null, null, null, null).use { p ->
            p.submit("dropped".utf8())
            p.submit(null)
            p.updateState("kept nowhere".utf8())
        }
    }

    @Test
    fun stopFromInsideTheHandlerReturns() {
        val self = AtomicReference<Processor>()
        val assigned = CountDownLatch(1)
        val fromHandler = LinkedBlockingQueue<Result>()
        val p = Nodekit.startProcessor(null, null, { assigned.await(); fromHandler += self.get().stop() }, null)
        self.set(p)
        assigned.countDown()
        p.submit("stop yourself".utf8())
        fromHandler.next("stop() inside the handler").orThrow()
        p.join().orThrow()
        assertEquals(Nodekit.StateStopped, p.state())
    }

    @Test
    fun stopIsIdempotentAndConcurrent() {
        val store = MemoryPersister()
        val p = Nodekit.startProcessor(null, store, null, null)
        p.updateState("final".utf8())
        val pool = Executors.newFixedThreadPool(6)
        try {
            val go = CountDownLatch(1)
            val stops = List(6) { pool.submit<Result> { go.await(); p.stop() } }
            go.countDown()
            stops.forEach { it.get(WAIT_SECS, TimeUnit.SECONDS).orThrow() }
        } finally {
            pool.shutdownNow()
        }
        p.stop().orThrow()
        assertEquals(1, store.count)
        assertEquals("final", store.last?.text)
    }

    @Test
    fun aHungHandlerMakesStopTimeOutNamingTheHandler() {
        val inHandler = CountDownLatch(1)
        val release = CountDownLatch(1)
        val cfg = ProcessorConfig().apply { stopTimeoutMillis = 50 }
        val p = Nodekit.startProcessor(cfg, null, { inHandler.countDown(); release.await() }, null)
        try {
            p.submit("wedge".utf8())
            inHandler.awaitOrFail("the handler")
            val e = assertThrows<NodekitException> { p.stop().orThrow() }
            assertEquals(Nodekit.KindStopTimeout, e.kind)
            assertTrue("handler" in e.message!!, e.message)
        } finally {
            release.countDown()
        }
    }

    @Test
    fun aRetriedEventIsOfferedIntactEvenIfTheHandlerMutatedIt() {
        val cfg = ProcessorConfig().apply { retryBackoffMillis = 1 }
        val got = LinkedBlockingQueue<String>()
        val attempts = AtomicInteger()
        Nodekit.startProcessor(cfg, null, { e ->
            got += e.decodeToString()
            e.fill('!'.code.toByte())
            if (attempts.incrementAndGet() == 1) throw IllegalStateException("again")
        }, null).use { p ->
            p.submit("payload".utf8())
            assertEquals("payload", got.next("first attempt"))
            assertEquals("payload", got.next("second attempt"))
        }
    }

    @Test
    fun handlerExceptionsAreLoggedAtDebug() {
        val log = QueuedLogger()
        val cfg = ProcessorConfig().apply { retryBackoffMillis = 1 }
        val n = AtomicInteger()
        val handled = LinkedBlockingQueue<String>()
        Nodekit.startProcessor(cfg, null, { e ->
            if (n.incrementAndGet() == 1) throw IllegalStateException("first refusal")
            handled += e.decodeToString()
        }, log).use { p ->
            p.submit("x".utf8())
            assertEquals("x", handled.next("the retried event"))
            log.await(Nodekit.LevelDebug, "will retry", "first refusal")
        }
    }

    @Test
    fun stopFromInsideATimerReturns() {
        val self = AtomicReference<Processor>()
        val assigned = CountDownLatch(1)
        val fromTimer = LinkedBlockingQueue<Result>()
        val cfg = ProcessorConfig().apply { addTimer("stopper", 1) { assigned.await(); fromTimer += self.get().stop() } }
        val p = Nodekit.startProcessor(cfg, null, null, null)
        self.set(p)
        assigned.countDown()
        fromTimer.next("stop() inside the timer").orThrow()
        p.join().orThrow()
    }

    @Test
    fun anEmptyEventOrStateArrivesAsNull() {
        val got = LinkedBlockingQueue<String>()
        val store = MemoryPersister()
        // The Java parameter is a platform type: declare it nullable, gomobile sends empty arrays as null.
        val handler = EventHandler { e: ByteArray? -> got += e?.size?.let { "length $it" } ?: "null" }
        Nodekit.startProcessor(null, store, handler, null).use { p ->
            p.submit(ByteArray(0))
            assertEquals("null", got.next("the empty event"))
            p.updateState(ByteArray(0))
            assertNull(store.writes.next("the empty state").data)
        }
    }

    @Test
    fun stopFromInsideThePersisterReturnsAndTheStateIsKept() {
        val self = AtomicReference<Processor>()
        val assigned = CountDownLatch(1)
        val fromPersister = LinkedBlockingQueue<Result>()
        val written = LinkedBlockingQueue<String>()
        val p = Nodekit.startProcessor(null, { _, data ->
            written += data.decodeToString()
            assigned.await()
            fromPersister += self.get().stop()
        }, null, null)
        self.set(p)
        assigned.countDown()
        p.updateState("s1".utf8())
        fromPersister.next("stop() inside persist()").orThrow()
        p.join().orThrow()
        assertEquals("s1", written.next("the persist"))
    }
}
