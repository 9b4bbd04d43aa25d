package dev.nodekit

import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.async
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
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlin.time.Duration.Companion.milliseconds

/** Workers.kt: call() and runFlow() on one dispatcher thread, with real worker processes. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // hang guard only
class KotlinWorkerCoroutinesTest {
    private val executor = Executors.newSingleThreadExecutor()
    private val single = executor.asCoroutineDispatcher()

    @AfterEach
    fun close() = single.close()

    private fun config(): WorkerConfig {
        val path = Path.of(System.getProperty("nodekit.workerhost", "../../build/jvm/workerhost")).toAbsolutePath()
        assertTrue(Files.isExecutable(path), "$path is missing: build it with scripts/build-jvm.sh")
        return Nodekit.newWorkerConfig(path.toString()).apply { discardStderr = true }
    }

    @Test
    fun callSuspendsWhileOtherCoroutinesRunAndACrashIsATaskException() = runBlocking(single) {
        val w = Nodekit.startWorker(config(), null)
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
        Nodekit.startWorker(config(), null).use { w ->
            assertNull(withTimeoutOrNull(50.milliseconds) { w.call("block", null) })
            // The blocked task was cancelled in the worker: shutdown() finds nothing
            // pending (else it would wait its stop timeout, kill, and report a crash).
            assertTrue(w.shutdown().isOk)
        }
    }

    @Test
    fun runFlowGivesTheProgressThenTheOutput() = runBlocking(single) {
        Nodekit.startWorker(config(), null).use { w ->
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
}
