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
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlin.time.Duration.Companion.milliseconds

/**
 * Workers.kt with real worker processes (examples/workerhost): awaitRun and
 * runFlow on one dispatcher thread, cancellation reaching the worker, crashes
 * as TaskException.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // hang guard only
class KotlinWorkersTest {
    // One thread: if awaitRun blocked it, nothing else could run on it.
    private val executor = Executors.newSingleThreadExecutor()
    private val single = executor.asCoroutineDispatcher()

    @AfterEach
    fun close() = single.close()

    private fun config(block: WorkerConfig.() -> Unit = {}): WorkerConfig {
        val path = Path.of(System.getProperty("nodekit.workerhost", "../../build/jvm/workerhost")).toAbsolutePath()
        assertTrue(Files.isExecutable(path), "$path is missing: build it with scripts/build-jvm.sh")
        return workerConfig(path.toString()) {
            discardStderr = true
            block()
        }
    }

    @Test
    fun awaitRunLeavesTheDispatcherThreadFreeAndReturnsTheOutput() = runBlocking(single) {
        startWorker(config()).use { w ->
            val slow = async { w.awaitRun("sleep", "300ms".utf8()) }
            val other = async { w.awaitRun("reverse", "abc".utf8()) } // runs on the same thread meanwhile
            assertEquals("cba", other.await()?.decodeToString())
            assertTrue(!slow.isCompleted)
            assertEquals("slept 300ms", slow.await()?.decodeToString())
            assertNull(w.awaitRun("echo")) // empty output: null
        }
    }

    @Test
    fun aCancelledAwaitRunCancelsTheTaskInTheWorker() = runBlocking(single) {
        // If the cancel did not reach the worker, shutdown() would wait for
        // the hour-long task until its stop timeout and then kill the worker
        // (Kind.WORKER_CRASHED).
        val w = startWorker(config { stopTimeoutMillis = 5_000 })
        assertNull(withTimeoutOrNull(100.milliseconds) { w.awaitRun("sleep", "1h".utf8()) })
        assertEquals("still here", w.awaitRun("echo", "still here".utf8())?.decodeToString())
        val r = w.shutdown()
        assertTrue(r.isOk, r.toString())
    }

    @Test
    fun failuresAndCrashesAreTaskExceptionsWithTheirKind() = runBlocking(single) {
        val w = startWorker(config())
        assertEquals(Kind.TASK_FAILED, assertThrows<TaskException> { w.awaitRun("fail", "no".utf8()) }.kind())
        assertEquals(Kind.UNKNOWN_TASK, assertThrows<TaskException> { w.awaitRun("nope") }.kind())
        val e = assertThrows<TaskException> { w.awaitRun("exit", "7".utf8()) }
        assertEquals(Kind.WORKER_CRASHED, e.kind())
        val crash = e.crash!!
        assertEquals(7L, crash.exitCode())
        assertEquals(0L, crash.signal())
        assertEquals("exit", crash.inFlight())
        assertTrue("exiting with code 7 on purpose" in crash.stderr(), crash.stderr())
        val after = assertThrows<TaskException> { w.awaitRun("echo") }
        assertEquals(Kind.ILLEGAL_STATE, after.kind())
        assertNull(after.crash)
        assertEquals(Kind.WORKER_CRASHED, Kind.of(w.shutdown()))
    }

    @Test
    fun crashOfTheBlockingRunsException() {
        Nodekit.startWorker(config(), null).let { w ->
            val e = assertThrows<NodekitException> { w.run("segv", null) }
            assertTrue(e !is TaskException)
            assertTrue("unexpected fault address" in e.crash!!.panic(), e.crash!!.panic())
            assertEquals(Kind.WORKER_CRASHED, Kind.of(w.shutdown()))
        }
    }

    @Test
    fun runFlowGivesEveryProgressUpdateThenTheOutput() = runBlocking(single) {
        startWorker(config()).use { w ->
            val seen = w.runFlow("progress", "5".utf8()).map {
                when (it) {
                    is TaskUpdate.Progress -> it.update!!.decodeToString()
                    is TaskUpdate.Done -> "done: " + it.output!!.decodeToString()
                }
            }.toList()
            assertEquals(listOf("1", "2", "3", "4", "5", "done: done"), seen)
            // Cold: a second collection runs the task again.
            assertEquals(3, w.runFlow("progress", "2".utf8()).toList().size)
        }
    }

    @Test
    fun stoppingTheCollectionEarlyCancelsTheTask() = runBlocking(single) {
        // "block" waits for its cancellation after "started"; an uncancelled
        // task would hold shutdown() until its stop timeout, then get killed.
        val w = startWorker(config { stopTimeoutMillis = 5_000 })
        val first = w.runFlow("block").first() as TaskUpdate.Progress
        assertEquals("started", first.update!!.decodeToString())
        val r = w.shutdown()
        assertTrue(r.isOk, r.toString())
    }

    @Test
    fun aCrashEndsTheFlowWithATaskException() = runBlocking(single) {
        startWorkerPool(config { poolSize = 1 }).use { pool ->
            val e = assertThrows<TaskException> { pool.runFlow("fatal").toList() }
            assertEquals(Kind.WORKER_CRASHED, e.kind())
            assertTrue(e.crash!!.panic().startsWith("fatal error: concurrent map writes"), e.crash!!.panic())
            assertEquals("alive", pool.awaitRun("echo", "alive".utf8())?.decodeToString()) // the pool replaced it
        }
    }
}
