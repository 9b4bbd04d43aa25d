package dev.nodekit

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotSame
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import java.io.IOException
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

/** Observers from Kotlin: the same behaviours as ObserverTest. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // hang guard only
class KotlinObserverTest {
    @Test
    fun startEventsGoHighToLowPriorityAndStopEventsLowToHigh() {
        val seen = CallLog()
        Group().use { g ->
            for (priority in listOf(20L, 200L, 100L)) g.observe(priority) { e -> seen.add("$priority ${e.label}") }
            g.add("a", service())
            g.start().orThrow()
        }
        seen.await("200 a:Stopped")
        assertEquals(
            listOf(
                "200 a:Starting", "100 a:Starting", "20 a:Starting",
                "200 a:Running", "100 a:Running", "20 a:Running",
                "20 a:Stopping", "100 a:Stopping", "200 a:Stopping",
                "20 a:Stopped", "100 a:Stopped", "200 a:Stopped",
            ),
            seen.snapshot(),
        )
    }

    @Test
    fun eventsArriveInOrderOneAtATimeWithTheirFields() {
        val events = mutableListOf<Event>()
        val busy = AtomicInteger()
        val overlaps = AtomicInteger()
        val done = LinkedBlockingQueue<Unit>()
        val testThread = Thread.currentThread()
        val threads = mutableListOf<Thread>()
        val before = System.currentTimeMillis() * 1_000_000
        Group().use { g ->
            g.observe(0) { e ->
                if (busy.incrementAndGet() != 1) overlaps.incrementAndGet()
                synchronized(events) {
                    events += e
                    threads += Thread.currentThread()
                }
                if (e.label == "a:Stopped") done += Unit
                busy.decrementAndGet()
            }
            listOf("a", "b", "c").forEach { g.add(it, null) }
            g.start().orThrow()
        }
        done.next("the last event")
        val after = (System.currentTimeMillis() + 1) * 1_000_000
        synchronized(events) {
            assertEquals(
                listOf(
                    "a:Starting", "a:Running", "b:Starting", "b:Running", "c:Starting", "c:Running",
                    "c:Stopping", "c:Stopped", "b:Stopping", "b:Stopped", "a:Stopping", "a:Stopped",
                ),
                events.map { it.label },
            )
            events.zipWithNext { x, y -> assertTrue(y.atUnixNanos >= x.atUnixNanos, "$x then $y") }
            for (e in events) {
                assertEquals(if (e.to == Nodekit.StateStarting) Nodekit.StateNew else e.to - 1, e.from, "$e")
                assertEquals(e.to == Nodekit.StateStarting || e.to == Nodekit.StateRunning, e.isStart, "$e")
                assertEquals("", e.error)
                assertEquals(Nodekit.KindOK, e.errorKind)
                assertTrue(e.durationNanos >= 0, "$e")
                assertTrue(e.atUnixNanos in before..after, "$e")
            }
            threads.forEach { assertNotSame(testThread, it) }
        }
        assertEquals(0, overlaps.get())
    }

    @Test
    fun aFailedServiceEventCarriesTheErrorAndItsKind() {
        val failed = LinkedBlockingQueue<Event>()
        val g = Group()
        g.observe(0) { e -> if (e.to == Nodekit.StateFailed) failed += e }
        g.add("db", service(start = { throw IOException("no disk") }))
        assertEquals(Nodekit.KindFailed, g.start().kind())
        val e = failed.next("the Failed event")
        assertEquals("db", e.service)
        assertEquals(Nodekit.StateStarting, e.from)
        assertTrue("no disk" in e.error, e.error)
        assertEquals(Nodekit.KindFailed, e.errorKind)
        assertFalse(e.isStart)
    }

    @Test
    fun anObserverThatThrowsOnAStopEventIsIsolatedAndLogged() {
        val log = QueuedLogger()
        val seen = CallLog()
        val calls = CallLog()
        Group().use { g ->
            g.setLogger(log)
            g.observe(200) { e -> seen.add("200 ${e.label}") }
            g.observe(100) { e -> if (e.to == Nodekit.StateStopping) throw IllegalStateException("observer broke") }
            g.observe(20) { e -> seen.add("20 ${e.label}") }
            g.add("a", calls.service("a"))
            g.start().orThrow()
        } // use {} throws if stop() is not ok
        assertEquals(listOf("start a", "stop a"), calls.snapshot())
        val line = log.await(Nodekit.LevelError, "observer failed", "observer broke")
        assertTrue("priority=100" in line, line)
        seen.await("200 a:Stopped")
        assertTrue(seen.snapshot().containsAll(listOf("20 a:Stopping", "200 a:Stopping")), "${seen.snapshot()}")
    }

    @Test
    fun anObserverThatThrowsOnAStartEventAbortsTheGroup() {
        val calls = CallLog()
        val g = Group()
        g.observe(1) { e ->
            if (e.service == "b" && e.to == Nodekit.StateRunning) throw IllegalStateException("not today")
        }
        listOf("a", "b", "c").forEach { g.add(it, calls.service(it)) }
        // The veto may land just after start() returned ok; join() then reports it.
        val r = g.start().takeUnless { it.isOk } ?: g.join()
        assertEquals(Nodekit.KindAborted, r.kind(), r.toString())
        assertTrue("not today" in r.message(), r.message())
        assertEquals(r.message(), g.join().message())
        val got = calls.snapshot()
        assertTrue(
            got == listOf("start a", "start b", "stop b", "stop a") ||
                got == listOf("start a", "start b", "start c", "stop c", "stop b", "stop a"),
            "$got",
        )
    }

    @Test
    fun stopFromInsideAnObserverReturnsAtOnceAndEndsTheGroup() {
        val fromObserver = LinkedBlockingQueue<Result>()
        val calls = CallLog()
        val g = Group()
        g.observe(0) { e -> if (e.label == "a:Running") fromObserver += g.stop() }
        g.add("a", calls.service("a"))
        g.start()
        fromObserver.next("stop() inside the observer").orThrow()
        g.join().orThrow()
        assertEquals(Nodekit.StateStopped, g.state())
        assertEquals(listOf("start a", "stop a"), calls.snapshot())
    }

    @Test
    fun equalPrioritiesKeepRegistrationOrder() {
        val seen = CallLog()
        Group().use { g ->
            g.observe(1) { e -> seen.add("first ${e.label}") }
            g.observe(1) { e -> seen.add("second ${e.label}") }
            g.add("a", null)
            g.start().orThrow()
        }
        seen.await("first a:Stopped")
        assertEquals(
            listOf(
                "first a:Starting", "second a:Starting", "first a:Running", "second a:Running",
                "second a:Stopping", "first a:Stopping", "second a:Stopped", "first a:Stopped",
            ),
            seen.snapshot(),
        )
    }

    @Test
    fun observerRegisteredAfterStartSeesLaterEvents() {
        val seen = CallLog()
        Group().use { g ->
            g.add("a", null)
            g.start().orThrow()
            g.observe(0) { e -> seen.add(e.label) }
        }
        seen.await("a:Stopped")
        assertEquals(listOf("a:Stopping", "a:Stopped"), seen.snapshot())
    }

    @Test
    fun aThrowingLoggerOrNoLoggerDoesNotBreakTheGroup() {
        val tried = LinkedBlockingQueue<String>()
        Group().use { g ->
            g.setLogger { _, message -> tried += message; throw IllegalStateException("logger broke") }
            g.observe(0) { e -> if (!e.isStart) throw RuntimeException("observer broke") }
            g.add("a", service())
            g.start().orThrow()
        }
        assertTrue("observer failed" in tried.next("a log call"))

        Group().use { g ->
            g.observe(0) { e -> if (!e.isStart) throw RuntimeException("nobody logs this") }
            g.add("a", service())
            g.start().orThrow()
        }
    }
}
