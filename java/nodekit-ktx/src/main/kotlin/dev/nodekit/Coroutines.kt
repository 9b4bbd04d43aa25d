// Coroutines over the bindings (dev.nodekit:nodekit-ktx): join and stop that
// suspend instead of blocking a thread, and Flows of lifecycle events and
// processor counters.
@file:JvmName("NodekitCoroutines")

package dev.nodekit

import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.trySendBlocking
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.consumeAsFlow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.suspendCancellableCoroutine
import kotlin.coroutines.resume
import kotlin.time.Duration
import kotlin.time.Duration.Companion.nanoseconds

// Why awaitJoin/awaitStop and not join/stop: Kotlin always calls a member
// function over an extension of the same name, so `suspend fun Group.stop()`
// could never be called.

/**
 * Suspends until the processor has stopped and returns join()'s Result. No
 * thread waits: Go calls back when the processor has ended (joinAsync) and the
 * coroutine resumes on its own dispatcher. Cancelling the coroutine drops the
 * callback at once; the processor keeps running.
 */
suspend fun Processor.awaitJoin(): Result = awaitResult { joinAsync(it) }

/**
 * Stops the processor (final persist included) and suspends until stop()'s
 * Result is there, at most its stop timeout, without blocking a thread
 * (stopAsync). Cancelling the coroutine does not cancel the stop: the
 * processor still stops, only the waiting ends.
 */
suspend fun Processor.awaitStop(): Result = awaitResult { stopAsync(it) }

/** [Processor.awaitJoin] for a group. Before start() the Result is Kind.ILLEGAL_STATE at once. */
suspend fun Group.awaitJoin(): Result = awaitResult { joinAsync(it) }

/**
 * [Processor.awaitStop] for a group: stops the services in reverse order. Do
 * not await it from inside one of the group's own hooks or observers (e.g. in
 * runBlocking there): the stop waits for that hook. Call stop() there, which
 * only requests the stop.
 */
suspend fun Group.awaitStop(): Result = awaitResult { stopAsync(it) }

/** [Processor.awaitJoin] for a p2p node. */
suspend fun Node.awaitJoin(): Result = awaitResult { joinAsync(it) }

/** [Processor.awaitStop] for a p2p node (stop accepting and dialing, drain, disconnect). */
suspend fun Node.awaitStop(): Result = awaitResult { stopAsync(it) }

private suspend inline fun awaitResult(crossinline start: (ResultCallback) -> Pending): Result =
    suspendCancellableCoroutine { cont ->
        // Resuming a cancelled continuation is a no-op, so a late callback is harmless.
        val pending = start(ResultCallback { cont.resume(it) })
        cont.invokeOnCancellation { pending.cancel() }
    }

/**
 * One state transition of one service of a Group, as [Group.events] gives it:
 * plain Kotlin values (no Go object per event).
 */
data class LifecycleEvent(
    val service: String,
    val from: State,
    val to: State,
    /** How long the service was in [from]. */
    val duration: Duration,
    /** The cause when [to] is State.FAILED, else "". */
    val error: String,
    /** The cause's kind; Kind.OK when [error] is "". */
    val errorKind: Kind,
    val atUnixNanos: Long,
)

/**
 * The group's lifecycle events from now on, as a Flow that completes once the
 * group has stopped (after its last event). Call it before start() to see the
 * start events: the observer is registered by this call, not by collect.
 *
 * Back-pressure: none towards the group. Events wait in an unbounded buffer
 * until collected (a handful per service start and stop), so a slow collector
 * never delays a service or a stop; add `.conflate()` or `.buffer(n,
 * DROP_OLDEST)` if that matters. One collector only (a second collect throws).
 * Higher [priority] observers see start events first and stop events last.
 * A group stopped without ever being started gives a Flow that never completes.
 */
fun Group.events(priority: Long = 0): Flow<LifecycleEvent> {
    val channel = Channel<LifecycleEvent>(Channel.UNLIMITED)
    var watching = false // only touched by the observer, which Go calls one batch at a time
    // One Go→Java call per batch of events, not per event (BatchObserver).
    observeBatch(priority) { data, count ->
        for (e in Event.unpack(data, count)) {
            channel.trySend(LifecycleEvent(e.service, State.of(e.from), State.of(e.to), e.durationNanos.nanoseconds,
                e.error, Kind.of(e.errorKind), e.atUnixNanos))
        }
        if (!watching) { // the group has started: its end can now be awaited
            watching = true
            joinAsync { channel.close() }
        }
    }
    return channel.consumeAsFlow()
}

/**
 * Snapshots of the processor's counters: one now, then one every [period]
 * while collected, and a last one once the processor has stopped; then the
 * Flow completes. Cold: each collector samples on its own. Back-pressure: a
 * slow collector simply samples less often (the next snapshot is taken after
 * it took the previous one and [period] passed).
 */
fun Processor.counterSamples(period: Duration): Flow<ProcessorCounters> = flow {
    while (true) {
        val ended = State.of(state()).isTerminal()
        emit(counters())
        if (ended) return@flow
        delay(period)
    }
}

/** One message a node received: the sender's peer id, the command, the payload (null when empty). */
class Message(val peerId: String, val command: String, val payload: ByteArray?) {
    override fun toString(): String = "Message($command from $peerId, ${payload?.size ?: 0} bytes)"
}

/**
 * Starts a p2p node (Nodekit.startNode) whose received messages are a Flow:
 * `val (node, messages) = startNode(config)`. The Flow completes once the node
 * has stopped. One collector only (a second collect throws).
 *
 * Back-pressure: up to [buffer] messages wait for the collector; when the
 * buffer is full, the thread that reads from the sending peer waits (one per
 * peer), so a slow collector slows those peers down through TCP instead of
 * dropping messages or growing memory; other peers go on until they find the
 * buffer full too. While a reader waits it reads nothing from that peer, not
 * even keepalives: a collector stalled longer than the config's idle timeout
 * gets that peer disconnected. Once the collector is cancelled, later
 * messages are dropped.
 */
fun startNode(config: NodeConfig, logger: Logger? = null, buffer: Int = 64): Pair<Node, Flow<Message>> {
    val channel = Channel<Message>(buffer)
    val node = Nodekit.startNode(config, { peer, command, payload ->
        channel.trySendBlocking(Message(peer, command, payload))
    }, logger)
    node.joinAsync { channel.close() }
    return node to channel.consumeAsFlow()
}
