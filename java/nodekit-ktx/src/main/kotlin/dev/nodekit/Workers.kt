// Worker tasks as coroutines (dev.nodekit:nodekit-ktx): a task run that
// suspends instead of blocking a thread, and a task's progress as a Flow.
@file:JvmName("NodekitWorkers")

package dev.nodekit

import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.channels.BufferOverflow
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.suspendCancellableCoroutine
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException

// Why awaitRun and not run: Kotlin always calls the member Worker.run over an
// extension of the same name (see Coroutines.kt).

/**
 * A worker task that did not return an output: [kind] says why (Kind.WORKER_CRASHED,
 * TASK_FAILED, TASK_PANIC, UNKNOWN_TASK, PAYLOAD_TOO_LARGE, CANCELED, ILLEGAL_STATE
 * after shutdown()), and [crash] has the worker's death for Kind.WORKER_CRASHED.
 */
class TaskException(kindCode: Long, message: String, val crash: CrashInfo?) : NodekitException(kindCode, message)

/**
 * The crash details of a worker task's exception: exit code or signal, the Go
 * panic, the stderr tail, the tasks in flight. Works for a [TaskException] and
 * for what the blocking Worker.run throws (Nodekit.crashInfoOf); null unless
 * the kind is Kind.WORKER_CRASHED.
 */
val NodekitException.crash: CrashInfo?
    get() = if (this is TaskException) crash else Nodekit.crashInfoOf(this)

/** The output of an ok result (null when empty), else throws its [TaskException]. */
fun TaskResult.outputOrThrow(): ByteArray? {
    if (isOk) return output()
    throw TaskException(kind(), message(), crash())
}

/**
 * Runs [task] with [input] (null: empty) in the worker and suspends until its
 * output is there (null when empty); a failure throws a [TaskException].
 * No thread waits: Go calls back with the result (Worker.runAsync) and the
 * coroutine resumes on its own dispatcher. Cancelling the coroutine cancels
 * the task in the worker (a task that ignores that past the config's cancel
 * grace gets its worker killed) and drops the callback.
 */
suspend fun Worker.awaitRun(task: String, input: ByteArray? = null): ByteArray? =
    suspendCancellableCoroutine { cont ->
        val handle = runAsync(task, input, object : TaskCallback {
            override fun onProgress(update: ByteArray?) {}

            override fun onResult(result: TaskResult) {
                // Resuming a cancelled continuation is a no-op, so a late result is harmless.
                if (result.isOk) cont.resume(result.output())
                else cont.resumeWithException(TaskException(result.kind(), result.message(), result.crash()))
            }
        })
        cont.invokeOnCancellation { handle.cancel() }
    }

/** One element of [Worker.runFlow]: a progress update, then, last, the task's output. */
sealed class TaskUpdate {
    /** A progress update the task sent (worker.Progress in Go). */
    class Progress(val update: ByteArray?) : TaskUpdate() {
        override fun toString(): String = "Progress(${update?.size ?: 0} bytes)"
    }

    /** The task's output (null when empty); always the last element. */
    class Done(val output: ByteArray?) : TaskUpdate() {
        override fun toString(): String = "Done(${output?.size ?: 0} bytes)"
    }
}

/**
 * Runs [task] when collected, as a Flow of its progress updates followed by
 * one [TaskUpdate.Done] with its output; a failure throws a [TaskException]
 * from collect after the updates that came before it. Cold: each collection
 * runs the task once. Cancelling the collector (or stopping early, e.g. with
 * `first()`) cancels the task in the worker.
 *
 * Back-pressure: none towards the worker, which never waits for the
 * collector. Up to [buffer] progress updates wait to be collected; when a
 * slow collector lets more pile up, the oldest are dropped (progress is a
 * status: the newest counts). The result is never dropped.
 */
fun Worker.runFlow(task: String, input: ByteArray? = null, buffer: Int = 64): Flow<TaskUpdate> = flow {
    val updates = Channel<ByteArray?>(buffer, BufferOverflow.DROP_OLDEST)
    val result = CompletableDeferred<TaskResult>()
    val handle = runAsync(task, input, object : TaskCallback {
        override fun onProgress(update: ByteArray?) {
            updates.trySend(update)
        }

        override fun onResult(r: TaskResult) {
            result.complete(r)
            updates.close() // after the last update: Go calls onResult after every onProgress
        }
    })
    try {
        for (u in updates) emit(TaskUpdate.Progress(u))
        emit(TaskUpdate.Done(result.await().outputOrThrow()))
    } finally {
        handle.cancel() // a no-op once the result is there
    }
}

/** A [WorkerConfig] for the worker executable at [path], set up by [block]. */
fun workerConfig(path: String, block: WorkerConfig.() -> Unit = {}): WorkerConfig =
    Nodekit.newWorkerConfig(path).apply(block)

/** Nodekit.startWorker with an optional logger (null: no logs). */
fun startWorker(config: WorkerConfig, logger: Logger? = null): Worker = Nodekit.startWorker(config, logger)

/** Nodekit.startWorkerPool with an optional logger (null: no logs). */
fun startWorkerPool(config: WorkerConfig, logger: Logger? = null): Worker = Nodekit.startWorkerPool(config, logger)
