package dev.nodekit;

import java.util.Objects;

/**
 * One state transition of one service, as a plain Java value. An {@link
 * Observer} receives the fields as arguments; {@link #observer(Handler)} turns
 * a handler of Events into an Observer. An Event is built on the Java side
 * from those arguments, so it holds no Go object: events cost the JVM only
 * young-generation garbage, however many there are.
 */
public final class Event {
    /** Handles one Event; an exception has the effect an Observer's has. */
    @FunctionalInterface
    public interface Handler {
        void onEvent(Event e) throws Exception;
    }

    /** An Observer that hands each event to {@code h} as an Event. */
    public static Observer observer(Handler h) {
        Objects.requireNonNull(h, "handler");
        return (service, from, to, durationNanos, error, errorKind, atUnixNanos) ->
                h.onEvent(new Event(service, from, to, durationNanos, error, errorKind, atUnixNanos));
    }

    private final String service;
    private final long from, to, durationNanos, errorKind, atUnixNanos;
    private final String error;

    public Event(String service, long from, long to, long durationNanos, String error, long errorKind, long atUnixNanos) {
        this.service = service;
        this.from = from;
        this.to = to;
        this.durationNanos = durationNanos;
        this.error = error == null ? "" : error;
        this.errorKind = errorKind;
        this.atUnixNanos = atUnixNanos;
    }

    /** The service's name. */
    public String getService() { return service; }
    /** The {@code Nodekit.State*} it left. */
    public long getFrom() { return from; }
    /** The {@code Nodekit.State*} it entered. */
    public long getTo() { return to; }
    /** How long it was in {@link #getFrom()}. */
    public long getDurationNanos() { return durationNanos; }
    /** The cause when {@link #getTo()} is {@code StateFailed}, else "". */
    public String getError() { return error; }
    /** The cause's {@code Nodekit.Kind*} ({@code KindOK} when there is none). */
    public long getErrorKind() { return errorKind; }
    /** When it happened, in nanoseconds since the Unix epoch. */
    public long getAtUnixNanos() { return atUnixNanos; }
    /** Whether the event belongs to the start phase (to Starting or Running). */
    public boolean isStart() { return to == Nodekit.StateStarting || to == Nodekit.StateRunning; }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Event)) {
            return false;
        }
        Event e = (Event) o;
        return service.equals(e.service) && from == e.from && to == e.to && durationNanos == e.durationNanos
                && error.equals(e.error) && errorKind == e.errorKind && atUnixNanos == e.atUnixNanos;
    }

    @Override
    public int hashCode() {
        return Objects.hash(service, from, to, durationNanos, error, errorKind, atUnixNanos);
    }

    @Override
    public String toString() {
        return service + ": " + Nodekit.stateName(from) + " -> " + Nodekit.stateName(to)
                + (error.isEmpty() ? "" : " (" + error + ")");
    }
}
