package dev.nodekit

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.junit.jupiter.api.assertThrows
import java.io.IOException
import java.util.concurrent.CountDownLatch
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlin.time.Duration.Companion.milliseconds

/** What Extensions.kt adds (the Java behaviour underneath is tested in the nodekit module). */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // hang guard only
class KotlinExtensionsTest {
    @Test
    fun orThrowReturnsOkResultsAndThrowsFailedOnesWithTheirKind() {
        val g = Group().apply { add("a", service()) }
        assertTrue(g.start().orThrow().isOk)
        g.stop().orThrow()

        val failing = Group().apply { add("db", service(start = { throw IOException("no disk") })) }
        val e = assertThrows<NodekitException> { failing.start().orThrow() }
        assertEquals(Kind.FAILED, e.kind())
        assertEquals(Kind.FAILED, failing.join().kindName)
        assertTrue("no disk" in e.message!!)
    }

    @Test
    fun useStopsTheHandleAndThrowsAFailedStop() {
        val calls = CallLog()
        val g = Group()
        val state = g.use {
            it.add("a", calls.service("a"))
            it.start().orThrow()
            State.of(it.state())
        }
        assertEquals(State.RUNNING, state)
        assertEquals(listOf("start a", "stop a"), calls.snapshot())

        val e = assertThrows<NodekitException> {
            startProcessor(persister = { _, _ -> throw IOException("disk full") }).use { it.updateState(byteArrayOf(1)) }
        }
        assertEquals(Kind.PERSIST, e.kind())
    }

    @Test
    fun serviceBuilderRunsTheGivenFunctionsAndDefaultsToNothing() {
        val calls = CallLog()
        Group().use { g ->
            g.add("both", calls.service("both"))
            g.add("none", service())
            g.start().orThrow()
        }
        assertEquals(listOf("start both", "stop both"), calls.snapshot())
    }

    @Test
    fun processorConfigBuilderAppliesFieldsAndTimers() {
        val fired = CountDownLatch(2)
        val store = MemoryPersister()
        val config = processorConfig {
            stateKey = "counter"
            initialState = "seed".utf8()
            timer("tick", 5.milliseconds) { fired.countDown() }
        }
        assertEquals("counter", config.stateKey)
        startProcessor(config, store).use { p ->
            fired.awaitOrFail("two timer fires")
            p.updateState("next".utf8())
        }
        assertEquals(Write("counter", "next".utf8()).text, store.last?.text)
        assertEquals("counter", store.last?.key)
        assertTrue(serviceOptions { restart = true; stopTimeoutMillis = 5 }.restart)
    }

    @Test
    fun startProcessorTakesAKotlinLambdaAndNullForEmptyEvents() {
        val got = LinkedBlockingQueue<String>()
        startProcessor { e -> got += e?.decodeToString() ?: "<null>" }.use { p ->
            p.submit("a".utf8())
            p.submit(ByteArray(0))
            assertEquals("a", got.next("first event"))
            assertEquals("<null>", got.next("empty event"))
        }
    }
}
