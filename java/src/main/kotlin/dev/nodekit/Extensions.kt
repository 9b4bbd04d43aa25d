// Kotlin extensions of the bindings, shipped in the jar (class NodekitKt). They
// compile against kotlin-stdlib in provided scope: Kotlin apps bring their own.
@file:JvmName("NodekitKt")

package dev.nodekit

/**
 * A failed nodekit [Result] as an exception: [kind] is one of the `Nodekit.Kind*`
 * constants and the message is [Result.message].
 *
 * Thrown by [orThrow], and by [use] when the final stop() fails.
 */
class NodekitException(val kind: Long, message: String) : RuntimeException(message) {
    override fun toString(): String = "NodekitException(kind $kind): $message"
}

/**
 * Returns normally if this result is ok; otherwise throws a [NodekitException]
 * with the result's kind and message.
 *
 * ```
 * group.start().orThrow()
 * ```
 */
fun Result.orThrow() {
    if (!isOk) throw NodekitException(kind(), message())
}

/**
 * Runs [block] with this group and stops the group afterwards, whether
 * [block] returned or threw (like `Closeable.use`).
 *
 * stop() never throws; a failed stop becomes a [NodekitException]: thrown if
 * [block] returned normally, attached as a suppressed exception if [block]
 * threw. stop() is idempotent, so [block] may stop the group itself.
 */
inline fun <T> Group.use(block: (Group) -> T): T = runThenStop(this, Group::stop, block)

/**
 * Runs [block] with this processor and stops it afterwards (final persist
 * included), whether [block] returned or threw; a failed stop is reported as
 * in [Group.use].
 */
inline fun <T> Processor.use(block: (Processor) -> T): T = runThenStop(this, Processor::stop, block)

/** The body of the `use` functions: [block], then [stop], reporting a failed stop. */
@PublishedApi
internal inline fun <H, T> runThenStop(handle: H, stop: (H) -> Result, block: (H) -> T): T {
    val value = try {
        block(handle)
    } catch (t: Throwable) {
        val stopped = stop(handle)
        if (!stopped.isOk) t.addSuppressed(NodekitException(stopped.kind(), stopped.message()))
        throw t
    }
    stop(handle).orThrow()
    return value
}

/**
 * Builds a [Service] from two functions; either may be left out (does
 * nothing). An exception from either fails the service with its message.
 *
 * ```
 * group.add("db", service(start = { db.open() }, stop = { db.close() }))
 * ```
 */
fun service(start: () -> Unit = {}, stop: () -> Unit = {}): Service {
    val onStart = start
    val onStop = stop
    return object : Service {
        override fun start() = onStart()

        override fun stop() = onStop()
    }
}

/**
 * Splits the events that a [BatchEventHandler] receives: [count] events, each a
 * 4-byte big-endian length followed by its bytes. From Java:
 * `NodekitKt.unpackEvents(data, count)`.
 */
fun unpackEvents(data: ByteArray?, count: Long): List<ByteArray> {
    if (data == null) return List(count.toInt()) { ByteArray(0) }
    val buf = java.nio.ByteBuffer.wrap(data)
    return List(count.toInt()) {
        ByteArray(buf.getInt()).also { buf.get(it) }
    }
}

/**
 * Packs events for [Processor.submitBatch]: each as a 4-byte big-endian length
 * followed by its bytes. From Java: `NodekitKt.packEvents(events)`.
 */
fun packEvents(events: List<ByteArray>): ByteArray {
    val buf = java.nio.ByteBuffer.allocate(events.sumOf { 4 + it.size })
    events.forEach { buf.putInt(it.size).put(it) }
    return buf.array()
}
