// A pool of two worker processes from coroutines: a task's progress as a
// Flow, then a task that segfaults in its worker. The caller gets a
// TaskException of kind WORKER_CRASHED with the crash's details, and the pool
// replaces the worker and runs on. Uses nodekit-ktx: workerConfig {},
// startWorkerPool, awaitRun, runFlow and use {} (= shutdown()).
//
//   make demo-kotlin-worker
//   scripts/run-jvm-example.sh kotlin WorkerCrashExample [path/to/workerhost]
//
// The worker executable is examples/workerhost (built at build/jvm/workerhost).
// Exits with status 1 if the crash is not reported as one.
@file:JvmName("WorkerCrashExample")

import dev.nodekit.Kind
import dev.nodekit.TaskException
import dev.nodekit.TaskUpdate
import dev.nodekit.awaitRun
import dev.nodekit.runFlow
import dev.nodekit.startWorkerPool
import dev.nodekit.workerConfig
import kotlinx.coroutines.runBlocking
import kotlin.system.exitProcess

fun main(args: Array<String>) = runBlocking {
    val config = workerConfig(args.firstOrNull() ?: "build/jvm/workerhost") {
        poolSize = 2
        discardStderr = true // the crash keeps its stderr tail anyway
    }
    startWorkerPool(config).use { pool ->
        pool.runFlow("progress", "3".encodeToByteArray()).collect {
            when (it) {
                is TaskUpdate.Progress -> println("progress ${it.update?.decodeToString()}")
                is TaskUpdate.Done -> println("done: ${it.output?.decodeToString()}")
            }
        }
        try {
            pool.awaitRun("segv")
            println("the segfault was not reported")
            exitProcess(1)
        } catch (e: TaskException) {
            val crash = e.crash ?: exitProcess(1)
            println("caught ${e.kind()}: worker ${crash.pid()} exit code ${crash.exitCode()}, in flight: ${crash.inFlight()}")
            println("  ${crash.panic().lineSequence().first()}")
            if (e.kind() != Kind.WORKER_CRASHED) exitProcess(1)
        }
        println("after the crash: ${pool.awaitRun("echo", "still serving".encodeToByteArray())?.decodeToString()}")
    }
}
