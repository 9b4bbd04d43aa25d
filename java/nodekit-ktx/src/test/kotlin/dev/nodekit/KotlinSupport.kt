package dev.nodekit

import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.fail
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.BlockingQueue
import java.util.concurrent.CountDownLatch
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

/** Upper bound for anything the Kotlin tests wait for; only reached when something is broken. */
const val WAIT_SECS = 10L

fun String.utf8(): ByteArray = encodeToByteArray()

/** Takes the next element, waiting at most [WAIT_SECS]; fails the test if none comes. */
fun <T : Any> BlockingQueue<T>.next(what: String): T =
    poll(WAIT_SECS, TimeUnit.SECONDS) ?: fail("$what did not happen within $WAIT_SECS s")

fun CountDownLatch.awaitOrFail(what: String) {
    if (!await(WAIT_SECS, TimeUnit.SECONDS)) fail("$what did not happen within $WAIT_SECS s")
}

/** A thread-safe call log that can be waited on. */
class CallLog {
    private val lines = mutableListOf<String>()
    private val feed = LinkedBlockingQueue<String>()

    fun add(line: String) {
        synchronized(lines) { lines += line }
        feed += line
    }

    fun snapshot(): List<String> = synchronized(lines) { lines.toList() }

    /** Waits until [want] has been logged. */
    fun await(want: String) {
        while (true) {
            val got = feed.poll(WAIT_SECS, TimeUnit.SECONDS) ?: fail("\"$want\" never logged; saw ${snapshot()}")
            if (got == want) return
        }
    }

    /** A service (built with [service]) that logs "start NAME" / "stop NAME" and may throw. */
    fun service(name: String, failStart: Exception? = null, failStop: Exception? = null): Service = service(
        start = {
            add("start $name")
            failStart?.let { throw it }
        },
        stop = {
            add("stop $name")
            failStop?.let { throw it }
        },
    )
}

/** One persist call. */
data class Write(val key: String, val data: ByteArray?) {
    val text: String? get() = data?.decodeToString()
}

/** A persister that records every call and can be told to throw. */
class MemoryPersister : Persister {
    val writes: BlockingQueue<Write> = LinkedBlockingQueue()
    private val all = mutableListOf<Write>()

    @Volatile
    var failure: Exception? = null

    override fun persist(key: String, data: ByteArray?) {
        failure?.let { throw it }
        val w = Write(key, data)
        synchronized(all) { all += w }
        writes += w
    }

    val count: Int get() = synchronized(all) { all.size }
    val last: Write? get() = synchronized(all) { all.lastOrNull() }
}

/** "service:State" of an event, e.g. "a:Running". */
val Event.label: String get() = "$service:${Nodekit.stateName(to)}"

/**
 * A node config for two chat nodes on loopback: network [magic], one outbound
 * slot, fast reconnects, no per-IP cap (every peer is 127.0.0.1), the "chat"
 * message (1 KiB, no rate limit, gossiped on if [relay]), dialing [peers].
 */
fun chatConfig(magic: String, relay: Boolean, vararg peers: String) = NodeConfig().apply {
    appName = "chat-$magic"
    appVersion = "1.0.0"
    this.magic = magic
    outboundSlots = 1
    maxPerIP = -1
    reconnectMinMillis = 10
    reconnectMaxMillis = 100
    addListen("tcp://127.0.0.1:0")
    peers.forEach { addPeer(it) }
    registerMessage("chat", 1024, 0.0, relay)
}

/**
 * A config for the worker executable the jar's build makes (examples/workerhost,
 * system property nodekit.workerhost), stderr discarded, set up by [block].
 */
fun workerConfig(block: WorkerConfig.() -> Unit = {}): WorkerConfig {
    val path = Path.of(System.getProperty("nodekit.workerhost", "../../build/jvm/workerhost")).toAbsolutePath()
    assertTrue(Files.isExecutable(path), "$path is missing: build it with scripts/build-jvm.sh")
    return Nodekit.newWorkerConfig(path.toString()).apply {
        discardStderr = true
        block()
    }
}
