// Tasks in worker processes that crash, from coroutines: call() suspends,
// a crash is a TaskException with the worker's exit code and panic report,
// and a task's progress is a Flow. The worker executable is
// examples/workerhost, which the jar's build puts at build/jvm/workerhost.
//
//   scripts/run-jvm-example.sh kotlin workers.WorkerExample [path/to/workerhost]
//
// (In package workers: the other examples already have a main(args) in the
// default package.) Exits with status 1 if a crash is not reported as one.
@file:JvmName("WorkerExample")

package workers

import dev.nodekit.Kind
import dev.nodekit.Nodekit
import dev.nodekit.TaskException
import dev.nodekit.TaskUpdate
import dev.nodekit.call
import dev.nodekit.runFlow
import kotlinx.coroutines.runBlocking
import kotlin.system.exitProcess

fun main(args: Array<String>) = runBlocking {
    val config = Nodekit.newWorkerConfig(args.getOrNull(0) ?: "build/jvm/workerhost").apply {
        poolSize = 2
        discardStderr = true // the crash report still has stderr's tail
    }
    Nodekit.startWorkerPool(config, null).use { pool -> // close() = shutdown(): ok, the dead worker was replaced
        pool.runFlow("progress", "3".encodeToByteArray()).collect { u ->
            when (u) {
                is TaskUpdate.Progress -> println("progress ${u.data?.decodeToString()}")
                is TaskUpdate.Output -> println("output ${u.data?.decodeToString()}")
            }
        }
        try {
            pool.call("exit", "7".encodeToByteArray())
            System.err.println("exit: no crash?")
            exitProcess(1)
        } catch (e: TaskException) {
            if (e.kind() != Kind.WORKER_CRASHED) throw e
            println("exit: worker ${e.crash?.pid()} died with exit code ${e.crash?.exitCode()}")
        }
        println("echo: ${pool.call("echo", "still here".encodeToByteArray())?.decodeToString()}") // a fresh process
    }
}
