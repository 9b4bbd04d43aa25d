// A Group of two services, started in order and stopped in reverse, whose
// lifecycle events are collected as a Flow. Uses nodekit-ktx: service(start,
// stop), events(), awaitStop() and Result.orThrow(); the standard library's
// use {} closes the group if anything throws.
//
//   scripts/run-jvm-example.sh kotlin GroupExample
//
// Exits with status 1 if start() or stop() reports an error.
@file:JvmName("GroupExample")

import dev.nodekit.Group
import dev.nodekit.NodekitException
import dev.nodekit.Service
import dev.nodekit.awaitStop
import dev.nodekit.events
import dev.nodekit.orThrow
import dev.nodekit.service
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlin.system.exitProcess

/** A service that only says what it is doing. start() and stop() run on a background thread. */
private fun chatty(name: String): Service = service(
    start = {
        println("  $name: starting on ${Thread.currentThread().name}")
        Thread.sleep(20) // pretend to open something
    },
    stop = { println("  $name: stopping") },
)

fun main() = runBlocking {
    try {
        Group().use { group ->
            val events = group.events() // registered now: sees the start events too
            val printer = launch {      // completes once the group has stopped
                events.collect { e ->
                    val error = if (e.error.isEmpty()) "" else " (${e.error})"
                    println("event: %-7s %s -> %s after %s%s".format(e.service, e.from, e.to, e.duration, error))
                }
            }
            group.add("storage", chatty("storage")) // started first, stopped last
            group.add("network", chatty("network"))
            group.start().orThrow() // blocks until both are running
            println("start: ok")
            group.awaitStop().orThrow() // reverse order; suspends instead of blocking
            printer.join()
            println("stop: ok")
        }
    } catch (e: NodekitException) {
        System.err.println("group: ${e.kind()}: ${e.message}")
        exitProcess(1)
    }
}
