// Kotlin extensions of the bindings (dev.nodekit:nodekit-ktx): results as
// exceptions, services from lambdas, builders for the config objects. use {}
// needs nothing from here: Processor and Group are AutoCloseable, so the
// standard library's use {} stops them (a failed stop throws NodekitException).
@file:JvmName("NodekitKt")

package dev.nodekit

import kotlin.time.Duration

/**
 * Returns this result if it is ok; otherwise throws a [NodekitException] with
 * the result's kind and message.
 *
 * ```
 * group.start().orThrow()
 * ```
 */
fun Result.orThrow(): Result = NodekitException.check(this)

/** This result's kind by name. */
val Result.kindName: Kind get() = Kind.of(kind())

/**
 * Builds a [Service] from two functions; either may be left out (does
 * nothing). An exception from either fails the service with its message. Both
 * run on a background thread (see [Service]).
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
 * A [ProcessorConfig] set up by [block]; fields left alone keep their
 * defaults.
 *
 * ```
 * val config = processorConfig {
 *     stateKey = "counter"
 *     stopTimeoutMillis = 2_000
 *     timer("flush", 5.seconds) { now -> flush(now) }
 * }
 * ```
 */
fun processorConfig(block: ProcessorConfig.() -> Unit = {}): ProcessorConfig = ProcessorConfig().apply(block)

/**
 * Adds a periodic callback, first fired [every] after start, on the
 * processor's background thread; [fire] gets the time in Unix milliseconds.
 * An exception from it is logged and counted (ProcessorCounters.timerFailures).
 */
fun ProcessorConfig.timer(name: String, every: Duration, fire: (nowUnixMillis: Long) -> Unit) {
    addTimer(name, every.inWholeMilliseconds, TimerCallback { fire(it) })
}

/** [ServiceOptions] set up by [block] (`restart = true`, `stopTimeoutMillis = 500`, ...). */
fun serviceOptions(block: ServiceOptions.() -> Unit): ServiceOptions = ServiceOptions().apply(block)

/**
 * Starts a processor (Nodekit.startProcessor) with Kotlin types: every
 * argument is optional and null means the same as there: defaults, no
 * persistence, events dropped, no logs. [handler] runs on the processor's
 * background thread, one event at a time; an empty event arrives as null; an
 * exception means "not handled yet": the event comes again after a backoff.
 */
fun startProcessor(
    config: ProcessorConfig? = null,
    persister: Persister? = null,
    logger: Logger? = null,
    handler: ((event: ByteArray?) -> Unit)? = null,
): Processor = Nodekit.startProcessor(config, persister, handler?.let { h -> EventHandler { h(it) } }, logger)
