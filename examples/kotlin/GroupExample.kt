// A Group of two services, started in order and stopped in reverse, with an
// observer that prints every lifecycle event. Uses the Kotlin extensions of the
// jar: service(start, stop), Group.use {} and Result.orThrow().
//
//   scripts/run-jvm-example.sh kotlin GroupExample
//
// Exits with status 1 if start() or stop() reports an error.
@file:JvmName("GroupExample")

import dev.nodekit.Group
import dev.nodekit.Nodekit
import dev.nodekit.NodekitException
import dev.nodekit.Observer
import dev.nodekit.Service
import dev.nodekit.orThrow
import dev.nodekit.service
import kotlin.system.exitProcess


/** A service that only says what it is doing. start() and stop() run on a background thread. */
private fun chatty(name: String): Service = service(
    start = {
        println("  $name: starting on ${Thread.currentThread().name}")
        Thread.sleep(20) // pretend to open something
    },
    stop = { println("  $name: stopping") },
)

fun main() {
    try {
        Group().use { group -> // stop() when the block ends: reverse order; throws if it fails
            // Events arrive in order on the observer's own thread, so they may
            // interleave with what the services print.
            group.observe(0, Observer { e ->
                val error = if (e.error.isEmpty()) "" else " (${e.error})"
                println(
                    "event: %-7s %s -> %s after %.1f ms%s".format(
                        e.service, Nodekit.stateName(e.from), Nodekit.stateName(e.to), e.durationNanos / 1e6, error,
                    ),
                )
            })
            group.add("storage", chatty("storage")) // started first, stopped last
            group.add("network", chatty("network"))
            group.start().orThrow() // blocks until both are running
            println("start: ok")
        }
        println("stop: ok")
    } catch (e: NodekitException) {
        System.err.println("group: $e")
        exitProcess(1)
    }
}
