package dev.nodekit

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.junit.jupiter.api.assertThrows
import java.io.IOException
import java.util.concurrent.TimeUnit

/** The Kotlin extensions in Extensions.kt: orThrow, Group.use, Processor.use, service {}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // hang guard only
class KotlinExtensionsTest {
    @Test
    fun orThrowPassesOkAndThrowsKindAndMessageOtherwise() {
        val g = Group().apply { add("a", service()) }
        g.start().orThrow()
        g.stop().orThrow()

        val failing = Group().apply { add("db", service(start = { throw IOException("no disk") })) }
        val e = assertThrows<NodekitException> { failing.start().orThrow() }
        assertEquals(Nodekit.KindFailed, e.kind)
        assertEquals(failing.join().message(), e.message)
        assertTrue("no disk" in e.message!!)
        assertTrue(e.toString().contains("kind ${Nodekit.KindFailed}"), e.toString())

        assertEquals(Nodekit.KindIllegalState, assertThrows<NodekitException> { Group().join().orThrow() }.kind)
    }

    @Test
    fun groupUseReturnsTheBlockValueAndStopsTheGroup() {
        val calls = CallLog()
        val g = Group()
        val state = g.use {
            assertSame(g, it)
            it.add("a", calls.service("a"))
            it.start().orThrow()
            it.state()
        }
        assertEquals(Nodekit.StateRunning, state)
        assertEquals(Nodekit.StateStopped, g.state())
        assertEquals(listOf("start a", "stop a"), calls.snapshot())
    }

    @Test
    fun groupUseStopsTheGroupWhenTheBlockThrows() {
        val calls = CallLog()
        val g = Group()
        val e = assertThrows<IllegalStateException> {
            g.use {
                it.add("a", calls.service("a"))
                it.start().orThrow()
                throw IllegalStateException("boom")
            }
        }
        assertEquals("boom", e.message)
        assertEquals(0, e.suppressed.size, "a clean stop adds nothing")
        assertEquals(Nodekit.StateStopped, g.state())
        assertEquals(listOf("start a", "stop a"), calls.snapshot())
    }

    @Test
    fun groupUseReportsAFailedStop() {
        val g = Group()
        val e = assertThrows<NodekitException> {
            g.use {
                it.add("a", service(stop = { throw IOException("flush failed") }))
                it.start().orThrow()
                "value"
            }
        }
        assertEquals(Nodekit.KindFailed, e.kind)
        assertTrue("flush failed" in e.message!!, e.message)

        val h = Group()
        val boom = assertThrows<IllegalArgumentException> {
            h.use {
                it.add("a", service(stop = { throw IOException("flush failed") }))
                it.start().orThrow()
                throw IllegalArgumentException("boom")
            }
        }
        val suppressed = boom.suppressed.single() as NodekitException
        assertTrue("flush failed" in suppressed.message!!, suppressed.message)
    }

    @Test
    fun groupUseToleratesAStopInsideTheBlock() {
        Group().use {
            it.add("a", service())
            it.start().orThrow()
            it.stop().orThrow()
        }
    }

    @Test
    fun processorUseStopsWithAFinalPersistAndReturnsTheValue() {
        val store = MemoryPersister()
        val p = Nodekit.startProcessor(null, store, null, null)
        val n = p.use {
            assertSame(p, it)
            it.updateState("last".utf8())
            42
        }
        assertEquals(42, n)
        assertEquals(Nodekit.StateStopped, p.state())
        assertEquals("last", store.last?.text)
    }

    @Test
    fun processorUseStopsWhenTheBlockThrowsAndReportsAFailedStop() {
        val p = Nodekit.startProcessor(null, null, null, null)
        assertThrows<IllegalStateException> { p.use { throw IllegalStateException("boom") } }
        assertEquals(Nodekit.StateStopped, p.state())

        val failing = MemoryPersister().apply { failure = IOException("disk full") }
        val e = assertThrows<NodekitException> {
            Nodekit.startProcessor(null, failing, null, null).use { it.updateState("x".utf8()) }
        }
        assertEquals(Nodekit.KindPersist, e.kind)
        assertTrue("disk full" in e.message!!, e.message)
    }

    @Test
    fun serviceBuilderRunsTheGivenFunctionsAndDefaultsToNothing() {
        val calls = CallLog()
        Group().use {
            it.add("empty", service())
            it.add("start-only", service(start = { calls.add("start") }))
            it.add("stop-only", service(stop = { calls.add("stop") }))
            it.start().orThrow()
        }
        assertEquals(listOf("start", "stop"), calls.snapshot())

        val s = service(start = { calls.add("direct start") }, stop = { calls.add("direct stop") })
        s.start()
        s.stop()
        assertEquals(listOf("start", "stop", "direct start", "direct stop"), calls.snapshot())
    }
}
