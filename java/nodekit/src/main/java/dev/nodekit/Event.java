package dev.nodekit;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * One state transition of one service, as a plain Java value. An {@link
 * Observer} receives the fields as arguments; {@link #observer(Handler)} turns
 * a handler of Events into an Observer. A {@link BatchObserver} receives many
 * events packed in one call (one call from Go instead of one per event: the
 * choice for groups of many services); {@link #batchObserver(Handler)} turns
 * a handler of Events into one, and {@link #unpack(byte[], long)} reads a
 * batch. An Event is built on the Java side, so it holds no Go object: events
 * cost the JVM only young-generation garbage, however many there are.
 *
 * <pre>{@code
 * group.observeBatch(0, Event.batchObserver(e -> log.info(e.toString())));
 * }</pre>
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

    /**
     * A BatchObserver that hands each event of a batch to {@code h}, in order.
     * If {@code h} throws, the rest of the batch is still handed to it, and
     * then the first exception is thrown (the others added to it as
     * suppressed): for a batch of start events, that aborts the group's
     * start, as an {@link Observer}'s exception for any of them would.
     */
    public static BatchObserver batchObserver(Handler h) {
        Objects.requireNonNull(h, "handler");
        return (data, count) -> {
            Exception first = null;
            for (Event e : unpack(data, count)) {
                try {
                    h.onEvent(e);
                } catch (Exception ex) {
                    if (first == null) {
                        first = ex;
                    } else {
                        first.addSuppressed(ex);
                    }
                }
            }
            if (first != null) {
                throw first;
            }
        };
    }

    /**
     * Reads the {@code count} events a {@link BatchObserver} received packed
     * in {@code data} (the format is described on {@code
     * BatchObserver.onEvents}).
     *
     * @throws IllegalArgumentException if {@code data} does not hold exactly {@code count} events
     */
    public static List<Event> unpack(byte[] data, long count) {
        if (count < 0 || count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("event count " + count + " out of range");
        }
        int n = (int) count;
        ByteBuffer buf = ByteBuffer.wrap(data == null ? new byte[0] : data);
        List<Event> events = new ArrayList<>(n);
        try {
            for (int i = 0; i < n; i++) {
                String service = string(buf);
                int from = buf.getInt(), to = buf.getInt();
                long nanos = buf.getLong();
                String error = string(buf);
                int kind = buf.getInt();
                long at = buf.getLong();
                events.add(new Event(service, from, to, nanos, error, kind, at));
            }
        } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
            throw new IllegalArgumentException("event " + events.size() + " of " + n + " is truncated", e);
        }
        if (buf.hasRemaining()) {
            throw new IllegalArgumentException(buf.remaining() + " bytes after the " + n + " events");
        }
        return Collections.unmodifiableList(events);
    }

    private static String string(ByteBuffer buf) {
        int len = buf.getInt();
        if (len < 0 || len > buf.remaining()) {
            throw new IllegalArgumentException("string of " + len + " bytes with " + buf.remaining() + " left");
        }
        String s = new String(buf.array(), buf.position(), len, StandardCharsets.UTF_8);
        buf.position(buf.position() + len);
        return s;
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
