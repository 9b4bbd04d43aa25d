// Uses dev.nodekit:nodekit-ktx from Kotlin, as an app that depends on it
// would: use {}, suspend stop, the events Flow. Exits 1 on a failed check.
package consumer

import dev.nodekit.Group
import dev.nodekit.Nodekit
import dev.nodekit.awaitStop
import dev.nodekit.events
import dev.nodekit.orThrow
import dev.nodekit.service
import dev.nodekit.startProcessor
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.count
import kotlinx.coroutines.runBlocking
import kotlin.system.exitProcess

fun main() = runBlocking {
    val log = mutableListOf<String>()
    Group().use { g ->
        g.add("svc", service(start = { log += "start" }, stop = { log += "stop" }))
        g.start().orThrow()
    }
    check(log == listOf("start", "stop")) { "hooks ran as $log" }

    val g = Group()
    g.add("a", service())
    val events = g.events()
    val counted = async { events.count() }
    g.start().orThrow()
    g.awaitStop().orThrow()
    check(counted.await() == 4) { "saw ${counted.await()} events, want 4" }

    startProcessor { }.use { it.submit(byteArrayOf(1)) }
    println("kotlin consumer: ok (nodekit ${Nodekit.version()})")
}

private inline fun check(ok: Boolean, why: () -> String) {
    if (!ok) {
        System.err.println("kotlin consumer: ${why()}")
        exitProcess(1)
    }
}
