import dev.nodekit.Group
import dev.nodekit.State
import dev.nodekit.awaitStop
import dev.nodekit.counterSamples
import dev.nodekit.events
import dev.nodekit.orThrow
import dev.nodekit.processorConfig
import dev.nodekit.service
import dev.nodekit.startProcessor
import dev.nodekit.timer
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlin.time.Duration.Companion.milliseconds

fun main() = runBlocking {
    Group().use { g ->                                 // stdlib use {}: close() = stop() when the block ends
        g.add("db", service(start = { println("db open") }, stop = { println("db closed") }))
        val events = g.events()                        // Flow<Event>: registered now, completes after the stop
        launch { events.collect { println("${it.service} -> ${State.of(it.to)}") } }
        g.start().orThrow()                            // NodekitException (with kind()) if not ok
        g.awaitStop().orThrow()                        // suspends: no thread blocked; cancellable
    }

    val config = processorConfig {
        stateKey = "counter"
        timer("tick", 100.milliseconds) { now -> println("tick at $now") }
    }
    val p = startProcessor(config) { event -> println("event ${event?.decodeToString()}") } // ByteArray?: empty is null
    launch { p.counterSamples(50.milliseconds).collect { println("handled ${it.eventsHandled}") } }
    p.submit("hello".encodeToByteArray())
    delay(250.milliseconds)
    println("processor: ${p.awaitStop()}")             // the counter Flow ends with the last snapshot
}
