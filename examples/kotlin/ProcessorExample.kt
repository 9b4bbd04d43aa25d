// Counts events in a background processor whose state is persisted with a
// FilePersister: run it twice and the second run continues where the first
// stopped. The Kotlin twin of examples/processor/main.go.
//
//   make demo-kotlin                                                 # both examples, state in $java.io.tmpdir
//   scripts/run-jvm-example.sh kotlin ProcessorExample [dir] [runForMillis]   # 0: until Ctrl-C
//
// Exits with status 1 if the state cannot be loaded or stop() reports an error.
@file:JvmName("ProcessorExample")

import dev.nodekit.EventHandler
import dev.nodekit.FilePersister
import dev.nodekit.Logger
import dev.nodekit.Nodekit
import dev.nodekit.Processor
import dev.nodekit.ProcessorConfig
import java.io.File
import java.nio.ByteBuffer
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicLong
import java.util.concurrent.atomic.AtomicReference
import kotlin.concurrent.thread
import kotlin.system.exitProcess

private const val STATE_KEY = "counter"

fun main(args: Array<String>) {
    val dir = args.getOrNull(0) ?: File(System.getProperty("java.io.tmpdir"), "nodekit-processor-example-kotlin").path
    val runForMillis = args.getOrNull(1)?.toLong() ?: 2000L

    // nodekit's own file store: one file per key, written atomically with a
    // checksum (the same format as the Go and Java examples).
    val store = FilePersister(dir)
    val loaded: ByteArray? = try {
        store.load(STATE_KEY) // null: first run
    } catch (e: Exception) { // corrupt or unreadable: an error, never "empty"
        System.err.println("processor: cannot load the counter from $dir: ${e.message}")
        exitProcess(1)
    }
    val count = AtomicLong(loaded?.decodeToString()?.toLong() ?: 0L)
    println(if (loaded == null) "first run: counting from 0 in $dir" else "resuming at ${count.get()} from $dir")

    // The handler and the timer run on background threads (one callback at a
    // time) and need the processor itself, which exists only once
    // startProcessor returns.
    val self = AtomicReference<Processor>()
    val config = ProcessorConfig().apply {
        stateKey = STATE_KEY
        initialState = loaded // as loaded: not persisted again until it changes
        addTimer("tick", 250) { nowUnixMillis ->
            self.get()?.submit(ByteBuffer.allocate(Long.SIZE_BYTES).putLong(nowUnixMillis).array())
        }
    }
    val processor = Nodekit.startProcessor(
        config,
        store,
        EventHandler { _ ->
            val n = count.incrementAndGet()
            // Dirty: the processor persists it after this pass, and on stop at the latest.
            self.get().updateState(n.toString().encodeToByteArray())
        },
        Logger { level, message ->
            if (level >= Nodekit.LevelWarn) System.err.println("processor log [$level]: $message")
        },
    )
    self.set(processor)

    // Run for runForMillis, until Ctrl-C, or until the processor stops by
    // itself (a persist that failed, say): whichever comes first.
    val wake = CountDownLatch(1)
    // Ctrl-C starts the JVM's shutdown: the hook wakes main, then gives it
    // time to stop the processor, print and halt (see exit below).
    val hook = thread(start = false, name = "ctrl-c") {
        wake.countDown()
        runCatching { Thread.sleep(15_000) }
    }
    Runtime.getRuntime().addShutdownHook(hook)
    thread(isDaemon = true, name = "processor-join") {
        processor.join()
        wake.countDown()
    }
    // use {} stops the processor (final persist included) when the block ends and
    // throws NodekitException (kind + message) if that stop failed.
    val outcome = runCatching { processor.use { waitForEnd(wake, runForMillis) } }
    with(processor.counters()) {
        println(
            "stopped at ${count.get()}: $eventsHandled events, $persists persists " +
                "(last took ${lastPersistNanos / 1000} µs), $passes passes; " +
                "result=${outcome.exceptionOrNull() ?: "ok"}",
        )
    }
    outcome.onFailure {
        System.err.println("processor: stop failed: ${it.message}")
        exit(hook, 1)
    }
    exit(hook, 0)
}

private fun waitForEnd(wake: CountDownLatch, runForMillis: Long) {
    if (runForMillis > 0) wake.await(runForMillis, TimeUnit.MILLISECONDS) else wake.await()
}

/** Exits with [status], also when Ctrl-C already started the JVM's shutdown. */
private fun exit(hook: Thread, status: Int): Nothing {
    try {
        Runtime.getRuntime().removeShutdownHook(hook)
    } catch (shuttingDown: IllegalStateException) {
        Runtime.getRuntime().halt(status) // exitProcess would block forever inside a shutdown
    }
    exitProcess(status)
}
