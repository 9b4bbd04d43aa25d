package dev.nodekit

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import java.io.IOException
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

/** stop()/join() inside callbacks, requestStop() and exception classes, from Kotlin. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // hang guard only
class KotlinCallbackContractTest {
    @Test
    fun joinAndStopInsideAHookReturnAtOnceSayingSo() {
        val g = Group()
        val inside = LinkedBlockingQueue<Result>()
        g.add("a", service(start = { inside += g.join(); inside += g.stop() }))
        g.start()
        assertEquals(Kind.CALLED_FROM_CALLBACK, Kind.of(inside.next("join() inside start()")))
        assertEquals(Kind.CALLED_FROM_CALLBACK, Kind.of(inside.next("stop() inside start()")))
        assertTrue(g.join().isOk)
    }

    @Test
    fun requestStopFromAnObserver() {
        val g = Group()
        g.observe(0) { _, _, to, _, _, _, _ -> if (to == Nodekit.StateRunning) g.requestStop() }
        g.add("a", service())
        g.start()
        assertTrue(g.join().isOk)
    }

    @Test
    fun aKotlinExceptionKeepsItsClass() {
        val g = Group().apply { add("db", service(start = { throw IOException("disk full") })) }
        val r = g.start()
        assertTrue("java.io.IOException: disk full" in r.message(), r.message())
    }
}
