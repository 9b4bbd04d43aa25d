package dev.nodekit

import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.junit.jupiter.api.assertThrows
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/**
 * Workers.kt beyond KotlinWorkerCoroutinesTest, with real worker processes
 * (examples/workerhost): a Flow stopped early cancels its task; a crash ends
 * a Flow with every detail of the death, and a pool runs on.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // hang guard only
class KotlinWorkersTest {
    private fun config(block: WorkerConfig.() -> Unit = {}): WorkerConfig {
        val path = Path.of(System.getProperty("nodekit.workerhost", "../../build/jvm/workerhost")).toAbsolutePath()
        assertTrue(Files.isExecutable(path), "$path is missing: build it with scripts/build-jvm.sh")
        return Nodekit.newWorkerConfig(path.toString()).apply {
            discardStderr = true
            block()
        }
    }

    @Test
    fun stoppingTheCollectionEarlyCancelsTheTask() = runBlocking {
        // "block" waits for its cancellation after "started"; an uncancelled
        // task would hold shutdown() until its stop timeout, then get killed
        // (Kind.WORKER_CRASHED).
        val w = Nodekit.startWorker(config { stopTimeoutMillis = 5_000 }, null)
        val first = w.runFlow("block", null).first() as TaskUpdate.Progress
        assertEquals("started", first.data!!.decodeToString())
        val r = w.shutdown()
        assertTrue(r.isOk, r.toString())
    }

    @Test
    fun aCrashEndsTheFlowWithItsDetailsAndThePoolRunsOn() = runBlocking {
        Nodekit.startWorkerPool(config { poolSize = 1 }, null).use { pool ->
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
