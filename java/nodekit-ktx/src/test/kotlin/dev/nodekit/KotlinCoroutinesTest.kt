package dev.nodekit

import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.onEach
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlin.time.Duration.Companion.milliseconds

/**
 * Coroutines.kt: suspend join/stop of groups, processors and nodes on one
 * dispatcher thread, lifecycle events, counters and node messages as Flows.
 * The Java API underneath is tested in the nodekit module.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // hang guard only
class KotlinCoroutinesTest {
    // One thread: if awaitStop blocked it, nothing else could run on it.
    private val executor = Executors.newSingleThreadExecutor()
    private val single = executor.asCoroutineDispatcher()

    @AfterEach
    fun close() = single.close()

    @Test
    fun awaitStopLeavesTheDispatcherThreadFreeWhileAStopHookRuns() = runBlocking(single) {
        val release = CountDownLatch(1)
        val inStop = CountDownLatch(1)
        val g = Group()
        g.add("slow", service(stop = { inStop.countDown(); release.await(WAIT_SECS, TimeUnit.SECONDS) }))
        g.start().orThrow()
        val stopping = async { g.awaitStop() }
        // This runs on the same single thread while the stop hook is blocked.
        val other = async { "ran" }
        assertEquals("ran", other.await())
        withContext(kotlinx.coroutines.Dispatchers.IO) { inStop.awaitOrFail("stop hook") }
        assertTrue(!stopping.isCompleted)
        release.countDown()
        assertTrue(stopping.await().isOk)
        assertEquals(State.STOPPED, State.of(g.state()))
    }

    @Test
    fun aCancelledAwaitJoinFreesTheThreadAndTheHandleKeepsRunning() = runBlocking(single) {
        val p = startProcessor()
        assertNull(withTimeoutOrNull(20.milliseconds) { p.awaitJoin() })
        assertEquals(State.RUNNING, State.of(p.state()))
        val joined = async { p.awaitJoin() }
        assertTrue(p.awaitStop().isOk)
        assertTrue(joined.await().isOk)
    }

    @Test
    fun awaitJoinGivesTheFailureOfTheGroup() = runBlocking(single) {
        val g = Group()
        g.add("a", service())
        g.start().orThrow()
        val joined = async { g.awaitJoin() }
        g.failService("a", "lost")
        val r = joined.await()
        assertEquals(Kind.FAILED, r.kindName)
        assertTrue("lost" in r.message())
        assertEquals(Kind.ILLEGAL_STATE, Group().awaitJoin().kindName)
    }

    @Test
    fun eventsFlowSeesEveryTransitionInOrderAndCompletesAfterTheStop() = runBlocking(single) {
        val g = Group()
        g.add("a", service())
        g.add("b", service())
        val events = g.events() // registered now, before start()
        val seen = async { events.map { "${it.service}:${it.to}" }.toList() }
        g.start().orThrow()
        assertTrue(g.awaitStop().isOk)
        assertEquals(
            listOf("a:STARTING", "a:RUNNING", "b:STARTING", "b:RUNNING", "b:STOPPING", "b:STOPPED", "a:STOPPING", "a:STOPPED"),
            seen.await(),
        )
    }

    @Test
    fun counterSamplesEndWithTheFinalCountersAfterTheStop() = runBlocking(single) {
        val handled = CompletableDeferred<Unit>()
        val p = startProcessor { if (it?.decodeToString() == "last") handled.complete(Unit) }
        repeat(3) { p.submit("e$it".utf8()) }
        p.submit("last".utf8())
        handled.await()
        assertEquals(4L, p.counterSamples(1.milliseconds).first { it.eventsHandled == 4L }.eventsHandled)
        val samples = async { p.counterSamples(5.milliseconds).toList() }
        assertTrue(p.awaitStop().isOk)
        val all = samples.await()
        assertEquals(4L, all.last().eventsHandled)
        assertTrue(all.last().passes >= 1)
    }

    @Test
    fun nodeMessagesArriveAsAFlowThatCompletesWhenTheNodeStops() = runBlocking(single) {
        val (a, inbox) = startNode(chatConfig("chat", relay = false))
        val (b, _) = startNode(chatConfig("chat", relay = false, a.addrs().split(",").first()))
        try {
            val arrived = CountDownLatch(2)
            val got = async {
                inbox.map { "${it.command}:${it.payload?.decodeToString()}" }.onEach { arrived.countDown() }.toList()
            }
            val aJoined = async { a.awaitJoin() } // suspends until a has stopped, a runs on meanwhile
            withContext(kotlinx.coroutines.Dispatchers.IO) { assertTrue(b.waitPeers(1, WAIT_SECS * 1000)) }
            assertEquals(1L, b.broadcast("chat", "hi".utf8()))
            assertEquals(1L, b.broadcast("chat", "there".utf8()))
            // Both are collected before either node stops; then stopping a
            // completes its Flow, which ends with exactly those two.
            withContext(kotlinx.coroutines.Dispatchers.IO) { assertTrue(arrived.await(WAIT_SECS, TimeUnit.SECONDS)) }
            assertTrue(b.awaitStop().isOk)
            assertTrue(!aJoined.isCompleted, "awaitJoin returned while the node ran")
            assertTrue(a.awaitStop().isOk)
            assertTrue(aJoined.await().isOk)
            assertEquals(listOf("chat:hi", "chat:there"), got.await())
        } finally {
            b.stop()
            a.stop()
        }
    }
}
