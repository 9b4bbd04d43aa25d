package dev.nodekit

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.junit.jupiter.api.assertThrows
import java.io.IOException
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

/** Group from Kotlin, with the extensions: the same behaviours as GroupTest. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // hang guard only
class KotlinGroupTest {
    private fun Result.assertSameAs(other: Result) {
        assertEquals(other.kind(), kind())
        assertEquals(other.message(), message())
    }

    @Test
    fun startsInOrderAndStopsInExactReverse() {
        val calls = CallLog()
        val g = Group()
        g.use {
            listOf("a", "b", "c").forEach { n -> it.add(n, calls.service(n)) }
            it.start().orThrow()
            assertEquals(listOf("start a", "start b", "start c"), calls.snapshot())
            assertEquals(Nodekit.StateRunning, it.state())
            assertEquals(Nodekit.StateRunning, it.serviceState("b"))
            assertEquals(-1L, it.serviceState("nope"))
        }
        assertEquals(listOf("start a", "start b", "start c", "stop c", "stop b", "stop a"), calls.snapshot())
        assertEquals(Nodekit.StateStopped, g.state())
    }

    @Test
    fun okResultHasKindZeroAnEmptyMessageAndPrintsOk() {
        val g = Group().apply { add("a", service()) }
        for (r in listOf(g.start(), g.stop(), g.join())) {
            assertTrue(r.isOk)
            assertEquals(Nodekit.KindOK, r.kind())
            assertEquals("", r.message())
            assertEquals("ok", r.toString())
        }
    }

    @Test
    fun throwingStartFailsTheGroupAndRollsBackInReverse() {
        val calls = CallLog()
        val g = Group().apply {
            add("a", calls.service("a"))
            add("b", calls.service("b"))
            add("c", calls.service("c", failStart = IOException("port 8080 in use")))
            add("d", calls.service("d"))
        }
        val e = assertThrows<NodekitException> { g.start().orThrow() }
        assertEquals(Nodekit.KindFailed, e.kind)
        assertTrue("port 8080 in use" in e.message!!, e.message)
        assertTrue("\"c\"" in e.message!!, e.message)
        assertEquals(listOf("start a", "start b", "start c", "stop b", "stop a"), calls.snapshot())
        assertEquals(Nodekit.StateFailed, g.state())
        g.join().assertSameAs(g.stop())
        assertEquals(e.message, g.join().message())
    }

    @Test
    fun joinReturnsTheSameResultEveryTime() {
        val g = Group().apply { add("a", service(stop = { throw IllegalStateException("flush failed") })) }
        g.start().orThrow()
        val pool = Executors.newFixedThreadPool(3)
        try {
            val joins = List(3) { pool.submit<Result> { g.join() } }
            assertTrue(joins.none { it.isDone }, "join() returned while the group was running")
            val stopped = g.stop()
            assertEquals(Nodekit.KindFailed, stopped.kind())
            assertTrue("flush failed" in stopped.message())
            joins.forEach { it.get(WAIT_SECS, TimeUnit.SECONDS).assertSameAs(stopped) }
            repeat(5) { g.join().assertSameAs(stopped) }
        } finally {
            pool.shutdownNow()
        }
    }

    @Test
    fun stopIsIdempotentAndConcurrent() {
        val calls = CallLog()
        val g = Group().apply {
            add("a", calls.service("a"))
            add("b", calls.service("b", failStop = IOException("socket close failed")))
        }
        g.start().orThrow()
        val pool = Executors.newFixedThreadPool(8)
        try {
            val go = CountDownLatch(1)
            val stops = List(8) { pool.submit<Result> { go.await(); g.stop() } }
            go.countDown()
            val results = stops.map { it.get(WAIT_SECS, TimeUnit.SECONDS) }
            assertEquals(Nodekit.KindFailed, results[0].kind())
            assertTrue("socket close failed" in results[0].message())
            results.forEach { it.assertSameAs(results[0]) }
        } finally {
            pool.shutdownNow()
        }
        g.stop().assertSameAs(g.join())
        assertEquals(listOf("start a", "start b", "stop b", "stop a"), calls.snapshot())
    }

    @Test
    fun joinBeforeStartAndStartTwiceAreIllegalState() {
        val fresh = Group()
        assertEquals(Nodekit.KindIllegalState, assertThrows<NodekitException> { fresh.join().orThrow() }.kind)
        assertEquals(Nodekit.StateNew, fresh.state())

        Group().use { g ->
            g.add("a", service())
            g.start().orThrow()
            val again = g.start()
            assertFalse(again.isOk)
            assertEquals(Nodekit.KindIllegalState, again.kind())
            assertNotEquals("", again.message())
        }

        val stoppedFirst = Group()
        stoppedFirst.stop().orThrow()
        assertEquals(Nodekit.KindIllegalState, stoppedFirst.start().kind())
    }

    @Test
    fun addThrowsForADuplicateNameAndAfterStart() {
        Group().use { g ->
            g.add("a", null)
            assertTrue("duplicate" in assertThrows<Exception> { g.add("a", null) }.message!!)
            g.start().orThrow()
            assertTrue("already started" in assertThrows<Exception> { g.add("b", null) }.message!!)
        }
    }

    @Test
    fun nullsAreAccepted() {
        val calls = CallLog()
        Group().use { g ->
            g.setLogger(null)
            g.observe(5, null)
            g.add("no-hooks", null)
            g.addWithOptions("no-options", null, null)
            g.addWithOptions("hooks", calls.service("h"), null)
            g.start().orThrow()
        }
        assertEquals(listOf("start h", "stop h"), calls.snapshot())
    }

    @Test
    fun stopFromInsideAStartHookDoesNotDeadlock() {
        val calls = CallLog()
        val fromHook = LinkedBlockingQueue<Result>()
        val g = Group()
        g.add("a", service(start = { calls.add("start a"); fromHook += g.stop() }, stop = { calls.add("stop a") }))
        g.add("b", calls.service("b"))
        val started = g.start()
        assertTrue(fromHook.next("stop() inside start()").isOk)
        assertEquals(Nodekit.KindCanceled, started.kind(), started.toString())
        g.join().orThrow()
        assertEquals(listOf("start a", "stop a"), calls.snapshot())
    }

    @Test
    fun stopTimeoutNamesTheService() {
        val release = CountDownLatch(1)
        val returned = CountDownLatch(1)
        val g = Group()
        val opts = ServiceOptions().apply { stopTimeoutMillis = 50 }
        g.addWithOptions("wedged", service(stop = { try { release.await() } finally { returned.countDown() } }), opts)
        try {
            g.start().orThrow()
            val e = assertThrows<NodekitException> { g.stop().orThrow() }
            assertEquals(Nodekit.KindStopTimeout, e.kind)
            assertTrue("wedged" in e.message!!, e.message)
        } finally {
            release.countDown()
        }
        returned.awaitOrFail("the released stop hook returning")
    }

    @Test
    fun restartOptionsAreAcceptedAndANeverRunningServiceIsNotRestarted() {
        val calls = CallLog()
        val opts = Nodekit.newServiceOptions().apply {
            restart = true
            restartBackoffMillis = 1
            restartMaxFailures = 3
            restartWindowMillis = 60_000
            stopTimeoutMillis = 5_000
        }
        Group().use { g ->
            g.addWithOptions("a", calls.service("a"), opts)
            g.start().orThrow()
            assertEquals(Nodekit.StateRunning, g.serviceState("a"))
        }
        assertEquals(listOf("start a", "stop a"), calls.snapshot())

        val failing = Group()
        failing.addWithOptions("b", calls.service("b", failStart = IllegalStateException("no config")), opts)
        val e = assertThrows<NodekitException> { failing.start().orThrow() }
        assertEquals(Nodekit.KindFailed, e.kind)
        assertEquals(1, calls.snapshot().count { it == "start b" })
    }

    @Test
    fun startTimeoutIsItsOwnKind() {
        val release = CountDownLatch(1)
        val g = Group()
        val opts = ServiceOptions().apply {
            startTimeoutMillis = 50
            stopTimeoutMillis = 50 // the stuck hook is waited for up to the stop timeout
        }
        g.addWithOptions("slow", service(start = { release.await() }), opts)
        try {
            assertEquals(Nodekit.KindStartTimeout, g.start().kind())
        } finally {
            release.countDown()
        }
    }

    @Test
    fun stopFromInsideAStopHookReturns() {
        val calls = CallLog()
        val fromHook = LinkedBlockingQueue<Result>()
        val g = Group()
        g.add("a", calls.service("a"))
        g.add("b", service(start = { calls.add("start b") }, stop = { calls.add("stop b"); fromHook += g.stop() }))
        g.use { it.start().orThrow() }
        fromHook.next("stop() inside stop()").orThrow()
        assertEquals(listOf("start a", "start b", "stop b", "stop a"), calls.snapshot())
    }
}
