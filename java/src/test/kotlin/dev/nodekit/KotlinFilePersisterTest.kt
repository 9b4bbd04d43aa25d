package dev.nodekit

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/** FilePersister from Kotlin: the same behaviours as FilePersisterTest. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // hang guard only
class KotlinFilePersisterTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun stateWrittenByAProcessorLoadsBackAfterStop() {
        val fp = Nodekit.newFilePersister(dir.toString())
        assertNull(fp.load("state"))
        Nodekit.startProcessor(ProcessorConfig(), fp, null, null).use { it.updateState("counter=41".utf8()) }
        assertEquals("counter=41", fp.load("state")?.decodeToString())

        // A second run starts from what was loaded and does not write it back unchanged.
        val again = FilePersister(dir.toString())
        val cfg = ProcessorConfig().apply { initialState = again.load("state") }
        val p = Nodekit.startProcessor(cfg, again, null, null)
        p.use { }
        assertEquals(0L, p.counters().persists)
        assertEquals("counter=41", again.load("state")?.decodeToString())
    }

    @Test
    fun binaryStateRoundTripsExactly() {
        val fp = FilePersister(dir.toString())
        val data = ByteArray(70_000) { (it * 31 + 7).toByte() }
        fp.persist("blob", data)
        assertArrayEquals(data, fp.load("blob"))
    }

    @Test
    fun loadOfAMissingKeyIsNull() {
        assertNull(FilePersister(dir.toString()).load("never-written"))
    }

    @Test
    fun corruptAndTruncatedFilesThrowOnLoad() {
        val fp = FilePersister(dir.toString())
        Files.write(dir.resolve("garbage"), "this is not a state file".utf8())
        assertTrue("corrupt" in assertThrows<Exception> { fp.load("garbage") }.message!!)

        fp.persist("cut", "a state long enough to cut in half".utf8())
        val file = dir.resolve("cut")
        Files.write(file, Files.readAllBytes(file).let { it.copyOf(it.size - 5) })
        assertTrue("corrupt" in assertThrows<Exception> { fp.load("cut") }.message!!)
    }

    @Test
    fun invalidKeysAndAnEmptyDirectoryNameThrow() {
        val fp = FilePersister(dir.toString())
        assertThrows<Exception> { fp.persist("../escape", "x".utf8()) }
        assertThrows<Exception> { FilePersister("") }
    }

    @Test
    fun anEmptyStateLoadsAsNull() {
        // gomobile passes an empty byte[] as null, so empty state reads as "none".
        val fp = FilePersister(dir.toString())
        fp.persist("empty", ByteArray(0))
        assertNull(fp.load("empty"))
    }

    @Test
    fun aFlippedPayloadByteThrowsOnLoad() {
        val fp = FilePersister(dir.toString())
        fp.persist("state", "checksummed".utf8())
        val file = dir.resolve("state")
        val whole = Files.readAllBytes(file)
        whole[whole.size - 1] = (whole[whole.size - 1].toInt() xor 1).toByte()
        Files.write(file, whole)
        assertTrue("corrupt" in assertThrows<Exception> { fp.load("state") }.message!!)
    }

    @Test
    fun aProcessorStopsWithKindPersistWhenTheFilePersisterFails() {
        val cfg = ProcessorConfig().apply { stateKey = "not/a/file/name" }
        val e = assertThrows<NodekitException> {
            Nodekit.startProcessor(cfg, FilePersister(dir.toString()), null, null).use { it.updateState("x".utf8()) }
        }
        assertEquals(Nodekit.KindPersist, e.kind)
        assertTrue("invalid state key" in e.message!!, e.message)
    }
}
