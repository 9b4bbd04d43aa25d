package dev.nodekit

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

/** Two p2p nodes in one JVM chat over loopback, from Kotlin. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // hang guard only
class KotlinNodeTest {
    private fun inbox(q: LinkedBlockingQueue<String>) =
        MessageHandler { _, command, payload -> q.add("$command:${payload.decodeToString()}") }

    @Test
    fun twoNodesExchangeChatMessages() {
        val atA = LinkedBlockingQueue<String>()
        val atB = LinkedBlockingQueue<String>()
        val a = Nodekit.startNode(chatConfig("kcht", relay = true), inbox(atA), null)
        val b = Nodekit.startNode(chatConfig("kcht", relay = true, a.addrs()), inbox(atB), null)
        try {
            assertTrue(b.waitPeers(1, 10_000))
            assertTrue(a.waitPeers(1, 10_000))
            assertEquals(1L, b.broadcast("chat", "hello from b".encodeToByteArray()))
            assertEquals("chat:hello from b", atA.poll(10, TimeUnit.SECONDS))
            val peers = a.peers()
            assertEquals(1L, peers.len())
            a.send(peers.id(0), "chat", "hello from a".encodeToByteArray())
            val got = atB.poll(10, TimeUnit.SECONDS)
            assertNotNull(got)
            assertEquals("chat:hello from a", got)
        } finally {
            assertTrue(b.stop().isOk)
            assertTrue(a.stop().isOk)
        }
    }
}
