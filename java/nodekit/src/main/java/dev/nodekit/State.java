package dev.nodekit;

/**
 * A service's, group's or processor's state, by name: the stable integers
 * {@code Nodekit.State*} (as returned by {@code state()}, {@code
 * serviceState(name)} and {@link Event#getFrom()}/{@link Event#getTo()}) as
 * an enum.
 */
public enum State {
    /** Not started. */
    NEW(Nodekit.StateNew),
    /** start() is running and has not reported ready. */
    STARTING(Nodekit.StateStarting),
    /** Running. */
    RUNNING(Nodekit.StateRunning),
    /** stop() was requested and the service has not ended yet. */
    STOPPING(Nodekit.StateStopping),
    /** Ended cleanly. */
    STOPPED(Nodekit.StateStopped),
    /** Ended with an error (the Result or Event says which). */
    FAILED(Nodekit.StateFailed),
    /** A state this version of the jar does not know, or -1 (no such service). */
    UNKNOWN(-1);

    private final long code;

    State(long code) {
        this.code = code;
    }

    /** The {@code Nodekit.State*} integer; -1 for {@link #UNKNOWN}. */
    public long code() {
        return code;
    }

    /** Whether this is a final state: {@link #STOPPED} or {@link #FAILED}. */
    public boolean isTerminal() {
        return this == STOPPED || this == FAILED;
    }

    /** The state with this {@code Nodekit.State*} integer, or {@link #UNKNOWN}. */
    public static State of(long code) {
        for (State s : values()) {
            if (s.code == code && s != UNKNOWN) {
                return s;
            }
        }
        return UNKNOWN;
    }
}
