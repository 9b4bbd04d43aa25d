package dev.nodekit;

/**
 * The kind of a {@link Result} or of a {@link NodekitException}, by name: the
 * stable integers {@code Nodekit.Kind*} as an enum.
 *
 * <pre>{@code
 * Result r = group.stop();
 * switch (Kind.of(r.kind())) {
 *     case OK: break;
 *     case STOP_TIMEOUT: log.warn("left behind: " + r.message()); break;
 *     default: throw NodekitException.of(r);
 * }
 * }</pre>
 */
public enum Kind {
    /** Success. */
    OK(Nodekit.KindOK),
    /** A service, hook or handler failed; the message says how. */
    FAILED(Nodekit.KindFailed),
    /** A panic in Go was recovered; the message has the stack. */
    PANIC(Nodekit.KindPanic),
    /** A service was not running within its start timeout. */
    START_TIMEOUT(Nodekit.KindStartTimeout),
    /** Something did not stop within its stop timeout (it was left behind); the message names it. */
    STOP_TIMEOUT(Nodekit.KindStopTimeout),
    /** The operation was cancelled, e.g. stop() was called while start() was waiting. */
    CANCELED(Nodekit.KindCanceled),
    /** An observer threw on a start event, which aborted the start. */
    ABORTED(Nodekit.KindAborted),
    /** A service failed more often than its restart policy allows. */
    TOO_MANY_RESTARTS(Nodekit.KindTooManyRestarts),
    /** The call does not fit the object's state: started twice, used after stop, a duplicate name. */
    ILLEGAL_STATE(Nodekit.KindIllegalState),
    /** A processor stopped because its persister failed. */
    PERSIST(Nodekit.KindPersist),
    /** stop() or join() from inside a callback of the same object: returned at once (stop() requested the stop). */
    CALLED_FROM_CALLBACK(Nodekit.KindCalledFromCallback),
    /** A processor stopped with events its handler had not taken; {@code Processor.unhandled()} returns them. */
    UNHANDLED(Nodekit.KindUnhandled),
    /** A worker process died while the task ran; {@code Nodekit.crashInfoOf(e)} has the details. */
    WORKER_CRASHED(Nodekit.KindWorkerCrashed),
    /** A worker task returned an error; the message is its text. */
    TASK_FAILED(Nodekit.KindTaskFailed),
    /** A worker task panicked; the worker lives on. The message has the stack. */
    TASK_PANIC(Nodekit.KindTaskPanic),
    /** The worker has no task of that name. */
    UNKNOWN_TASK(Nodekit.KindUnknownTask),
    /** A task's input or output is over the worker's payload limit. */
    PAYLOAD_TOO_LARGE(Nodekit.KindPayloadTooLarge),
    /** The worker executable is from another build than the jar's native library. */
    VERSION_MISMATCH(Nodekit.KindVersionMismatch),
    /** The worker executable is missing or not executable. */
    WORKER_PATH(Nodekit.KindWorkerPath),
    /** A configuration value is out of range (a worker pool of size 0, ...). */
    INVALID_ARGUMENT(Nodekit.KindInvalidArgument),
    /** A kind this version of the jar does not know (a newer native library); see {@link NodekitException#kindCode()}. */
    UNKNOWN(-1);

    private final long code;

    Kind(long code) {
        this.code = code;
    }

    /** The {@code Nodekit.Kind*} integer; -1 for {@link #UNKNOWN}. */
    public long code() {
        return code;
    }

    /** The kind with this {@code Nodekit.Kind*} integer, or {@link #UNKNOWN}. */
    public static Kind of(long code) {
        for (Kind k : values()) {
            if (k.code == code && k != UNKNOWN) {
                return k;
            }
        }
        return UNKNOWN;
    }

    /** The kind of a Result: {@code Kind.of(result.kind())}. */
    public static Kind of(Result result) {
        return of(result.kind());
    }
}
