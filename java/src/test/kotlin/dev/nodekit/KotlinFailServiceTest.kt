package dev.nodekit

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

@Timeout(60)
class KotlinFailServiceTest {
    private val calls = LinkedBlockingQueue<String>()
    private fun next(): String = calls.poll(10, TimeUnit.SECONDS) ?: error("no call within 10 s")

    @Test
    fun failedServiceIsRestarted() {
        Group().use { g ->
            val o = ServiceOptions().apply { restart = true; restartBackoffMillis = 1 }
            g.addWithOptions("conn", service(start = { calls.add("start") }, stop = { calls.add("stop") }), o)
            g.start().orThrow()
            assertEquals("start", next())
            g.failService("conn", "socket reset")
            assertEquals("stop", next())
            assertEquals("start", next())
        }
        assertEquals("stop", next())
    }

    @Test
    fun failureWithoutRestartEndsTheGroup() {
        val g = Group()
        g.add("conn", service(start = {}, stop = {}))
        g.start().orThrow()
        g.failService("conn", "socket reset")
        val r = g.join()
        assertEquals(Nodekit.KindFailed, r.kind())
        assertTrue(r.message().contains("socket reset"), r.message())
    }
}
