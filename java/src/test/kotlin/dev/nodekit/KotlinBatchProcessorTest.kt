package dev.nodekit

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit

@Timeout(60)
class KotlinBatchProcessorTest {
    @Test
    fun batchesUnpackInOrder() {
        val got = mutableListOf<String>()
        val all = CountDownLatch(3000)
        val handler = BatchEventHandler { data, count ->
            unpackEvents(data, count).forEach { got.add(it.decodeToString()); all.countDown() }
            count
        }
        Nodekit.startBatchProcessor(null, null, handler, null).use { p ->
            repeat(3000) { p.submit("k$it".encodeToByteArray()) }
            assertTrue(all.await(10, TimeUnit.SECONDS))
        }
        assertEquals((0 until 3000).map { "k$it" }, got)
    }

    @Test
    fun unpackHandlesEmptyEvents() {
        val packed = java.nio.ByteBuffer.allocate(4 + 4 + 2).putInt(0).putInt(2).put(byteArrayOf(7, 8)).array()
        val events = unpackEvents(packed, 2)
        assertEquals(0, events[0].size)
        assertEquals(listOf<Byte>(7, 8), events[1].toList())
    }

    @Test
    fun packThenUnpack() {
        val events = listOf(byteArrayOf(1, 2, 3), byteArrayOf(), byteArrayOf(9))
        val back = unpackEvents(packEvents(events), events.size.toLong())
        assertEquals(events.map { it.toList() }, back.map { it.toList() })
    }
}
