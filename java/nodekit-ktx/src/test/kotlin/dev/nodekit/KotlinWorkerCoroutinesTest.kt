package dev.nodekit

import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.junit.jupiter.api.assertThrows
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlin.time.Duration.Companion.milliseconds

/**
 * Workers.kt: call() and runFlow() on one dispatcher thread, cancellation,
 * and crashes as TaskException, with real worker processes
 * (examples/workerhost). The Java API underneath is tested in WorkerTest.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // hang guard only
class KotlinWorkerCoroutinesTest {
    private val executor = Executors.newSingleThreadExecutor()
    private val single = executor.asCoroutineDispatcher()

    @AfterEach
    fun close() = single.close()

    @Test
    fun callSuspendsWhileOtherCoroutinesRunAndACrashIsATaskException() = runBlocking(single) {
        val w = Nodekit.startWorker(workerConfig(), null)
        val slow = async { w.call("sleep", "200ms".utf8()) }
        assertEquals("ran", async { "ran" }.await()) // the one thread is free meanwhile
        assertEquals("slept 200ms", slow.await()?.decodeToString())
        val progress = mutableListOf<String>()
        val out = w.call("progress", "2".utf8()) { synchronized(progress) { progress += it!!.decodeToString() } }
        assertEquals("done", out?.decodeToString())
        assertEquals(listOf("1", "2"), synchronized(progress) { progress.toList() })
        val e = runCatching { w.call("exit", "3".utf8()) }.exceptionOrNull() as TaskException
        assertEquals(Kind.WORKER_CRASHED, e.kind())
        assertEquals(3L, e.crash?.exitCode())
        assertEquals(Kind.WORKER_CRASHED, Kind.of(w.shutdown())) // the worker had died
    }

    @Test
    fun aCancelledCallCancelsTheTaskInTheWorker() = runBlocking(single) {
        Nodekit.startWorker(workerConfig(), null).use { w ->
            assertNull(withTimeoutOrNull(50.milliseconds) { w.call("block", null) })
            // The blocked task was cancelled in the worker: shutdown() finds nothing
            // pending (else it would wait its stop timeout, kill, and report a crash).
            assertTrue(w.shutdown().isOk)
        }
    }

    @Test
    fun runFlowGivesTheProgressThenTheOutput() = runBlocking(single) {
        Nodekit.startWorker(workerConfig(), null).use { w ->
            val got = w.runFlow("progress", "3".utf8()).map {
                when (it) {
                    is TaskUpdate.Progress -> "p:${it.data?.decodeToString()}"
                    is TaskUpdate.Output -> "out:${it.data?.decodeToString()}"
                }
            }.toList()
            assertEquals(listOf("p:1", "p:2", "p:3", "out:done"), got)
            val e = runCatching { w.runFlow("fail", "no".utf8()).toList() }.exceptionOrNull() as TaskException
            assertEquals(Kind.TASK_FAILED, e.kind())
        }
    }

    @Test
    fun stoppingTheCollectionEarlyCancelsTheTask() = runBlocking(single) {
        // "block" waits for its cancellation after "started"; an uncancelled
        // task would hold shutdown() until its stop timeout, then get killed
        // (Kind.WORKER_CRASHED).
        val w = Nodekit.startWorker(workerConfig { stopTimeoutMillis = 5_000 }, null)
        val first = w.runFlow("block", null).first() as TaskUpdate.Progress
        assertEquals("started", first.data!!.decodeToString())
        val r = w.shutdown()
        assertTrue(r.isOk, r.toString())
    }

    @Test
    fun aCrashEndsTheFlowWithItsDetailsAndThePoolRunsOn() = runBlocking(single) {
        Nodekit.startWorkerPool(workerConfig { poolSize = 1 }, null).use { pool ->
            val e = assertThrows<TaskException> { pool.runFlow("exit", "7".utf8()).toList() }
            assertEquals(Kind.WORKER_CRASHED, e.kind())
            val crash = e.crash!!
            assertEquals(7L, crash.exitCode())
            assertEquals(0L, crash.signal())
            assertEquals("exit", crash.inFlight())
            assertTrue("exiting with code 7 on purpose" in crash.stderr(), crash.stderr())
            val fatal = assertThrows<TaskException> { pool.call("fatal", null) }
            assertTrue(fatal.crash!!.panic().startsWith("fatal error: concurrent map writes"), fatal.crash!!.panic())
            assertEquals("alive", pool.call("echo", "alive".utf8())?.decodeToString()) // the pool replaced it
        }
    }
}
