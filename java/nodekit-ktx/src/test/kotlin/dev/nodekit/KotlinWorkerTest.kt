package dev.nodekit

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.LinkedBlockingQueue

/** Worker processes from Kotlin, with real crashes (examples/workerhost, built by the jar's build). */
class KotlinWorkerTest {
    private fun config(): WorkerConfig {
        val path = Path.of(System.getProperty("nodekit.workerhost", "../../build/jvm/workerhost")).toAbsolutePath()
        assertTrue(Files.isExecutable(path), "$path is missing: build it with scripts/build-jvm.sh")
        return Nodekit.newWorkerConfig(path.toString()).apply { discardStderr = true }
    }

    @Test
    fun `a crash is an exception with its details and the pool carries on`() {
        Nodekit.startWorkerPool(config().apply { poolSize = 2 }, null).use { pool ->
            assertEquals("olleh", pool.run("reverse", "hello".utf8()).decodeToString())
            val e = assertThrows<NodekitException> { pool.run("exit", "7".utf8()) }
            assertEquals(Kind.WORKER_CRASHED, e.kind())
            val crash = Nodekit.crashInfoOf(e)
            assertEquals(7L, crash.exitCode())
            assertEquals("exit", crash.inFlight())
            assertEquals(Kind.TASK_PANIC, assertThrows<NodekitException> { pool.run("panic", null) }.kind())
            assertEquals("again", pool.run("echo", "again".utf8()).decodeToString())
        }
    }

    @Test
    fun `runAsync delivers progress, then the result`() {
        val worker = Nodekit.startWorker(config(), null)
        val progress = LinkedBlockingQueue<String>()
        val results = LinkedBlockingQueue<TaskResult>()
        worker.runAsync("progress", "3".utf8(), object : TaskCallback {
            override fun onProgress(update: ByteArray) { progress += update.decodeToString() }
            override fun onResult(result: TaskResult) { results += result }
        })
        val r = results.next("the result")
        assertTrue(r.isOk, r.message())
        assertEquals("done", r.output().decodeToString())
        assertEquals("3", progress.last())
        worker.runAsync("segv", null, object : TaskCallback {
            override fun onProgress(update: ByteArray) {}
            override fun onResult(result: TaskResult) { results += result }
        })
        val crashed = results.next("the crash")
        assertEquals(Nodekit.KindWorkerCrashed, crashed.kind())
        assertTrue(crashed.crash().panic().contains("unexpected fault address"), crashed.crash().panic())
        assertEquals(Nodekit.KindWorkerCrashed, worker.shutdown().kind())
    }
}
