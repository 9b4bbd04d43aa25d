// The Kotlin side of StopBench: awaitStop() in coroutines on the calling thread.
@file:JvmName("SuspendStops")

package dev.nodekit.bench

import dev.nodekit.Processor
import dev.nodekit.awaitStop
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking

/**
 * Stops every processor with awaitStop(), all at once, in coroutines of one
 * runBlocking event loop on the calling thread: no other Java thread is
 * involved or blocked. Returns how many stopped ok.
 */
fun awaitStopAll(processors: Array<Processor>): Int = runBlocking {
    processors.map { async { it.awaitStop() } }.awaitAll().count { it.isOk }
}
