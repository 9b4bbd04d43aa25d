// Coroutines over worker processes (dev.nodekit:nodekit-ktx): a task call that
// suspends instead of blocking, cancelled with its coroutine, and a task's
// progress as a Flow.
@file:JvmName("NodekitWorkers")

package dev.nodekit

import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.suspendCancellableCoroutine
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException

/**
 * A task that failed, as an exception: [kind] as for any [NodekitException]
 * (Kind.WORKER_CRASHED, TASK_FAILED, TASK_PANIC, ...), and [crash], the
 * worker's death for WORKER_CRASHED (exit code, signal, panic, stack, stderr).
 */
class TaskException(val result: TaskResult) : NodekitException(result.kind(), result.message()) {
    val crash: CrashInfo? get() = result.crash()
}

/**
 * Runs [task] in the worker and suspends until its output is there (null for
 * an empty output); no thread waits (runAsync). [onProgress] gets the task's
 * updates on a Go thread, one at a time. Cancelling the coroutine cancels the
 * task in the worker (its context; a task that ignores it past the cancel
 * grace gets its worker killed). A failure throws a [TaskException].
 */
suspend fun Worker.call(task: String, input: ByteArray?, onProgress: ((ByteArray?) -> Unit)? = null): ByteArray? =
    suspendCancellableCoroutine { cont ->
        val handle = runAsync(task, input, object : TaskCallback {
            override fun onProgress(update: ByteArray?) {
                onProgress?.invoke(update)
            }

            override fun onResult(result: TaskResult) {
                if (result.isOk) cont.resume(result.output()) else cont.resumeWithException(TaskException(result))
            }
        })
        cont.invokeOnCancellation { handle.cancel() }
    }

/** One element of [Worker.runFlow]: a progress update, or, last, the task's output. */
sealed interface TaskUpdate {
    /** A progress update the task sent (null when empty). */
    class Progress(val data: ByteArray?) : TaskUpdate

    /** The task's output (null when empty); the Flow completes after it. */
    class Output(val data: ByteArray?) : TaskUpdate
}

/**
 * Runs [task] when collected: its progress updates, then its output, as a
 * Flow; a failure ends the Flow with a [TaskException]. Cancelling the
 * collector cancels the task. Back-pressure: none towards the worker (its
 * updates must never stall the process's other calls): updates wait in an
 * unbounded buffer; add `.conflate()` to keep only the latest.
 */
fun Worker.runFlow(task: String, input: ByteArray?): Flow<TaskUpdate> = callbackFlow {
    val handle = runAsync(task, input, object : TaskCallback {
        override fun onProgress(update: ByteArray?) {
            trySend(TaskUpdate.Progress(update))
        }

        override fun onResult(result: TaskResult) {
            if (result.isOk) {
                trySend(TaskUpdate.Output(result.output()))
                close()
            } else {
                close(TaskException(result))
            }
        }
    })
    awaitClose { handle.cancel() }
}.buffer(Channel.UNLIMITED)
