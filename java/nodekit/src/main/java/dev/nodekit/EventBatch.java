package dev.nodekit;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The packed event format of {@link BatchEventHandler#handleEvents} and
 * {@link Processor#submitBatch}: each event as a 4-byte big-endian length
 * followed by its bytes. Plain Java, no Kotlin needed.
 *
 * <pre>{@code
 * Processor p = Nodekit.startBatchProcessor(null, null, (data, count) -> {
 *     for (byte[] e : EventBatch.unpack(data, count)) apply(e);
 *     return count;
 * }, null);
 * p.submitBatch(EventBatch.pack(events), events.size());
 * }</pre>
 */
public final class EventBatch {
    private EventBatch() {}

    /**
     * Splits {@code count} packed events. {@code data} may be null (gomobile
     * passes an empty byte array as null): then every event is empty.
     *
     * @throws IllegalArgumentException if {@code data} does not hold exactly {@code count} events
     */
    public static List<byte[]> unpack(byte[] data, long count) {
        if (count < 0 || count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("event count " + count + " out of range");
        }
        int n = (int) count;
        if (data == null) {
            List<byte[]> empty = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                empty.add(new byte[0]);
            }
            return empty;
        }
        ByteBuffer buf = ByteBuffer.wrap(data);
        List<byte[]> events = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            if (buf.remaining() < 4 || buf.getInt(buf.position()) < 0 || buf.getInt(buf.position()) > buf.remaining() - 4) {
                throw new IllegalArgumentException("event " + i + " of " + n + " is truncated (" + buf.remaining() + " bytes left)");
            }
            byte[] e = new byte[buf.getInt()];
            buf.get(e);
            events.add(e);
        }
        if (buf.hasRemaining()) {
            throw new IllegalArgumentException(buf.remaining() + " bytes after the " + n + " events");
        }
        return Collections.unmodifiableList(events);
    }

    /** Packs events (none may be null) for {@link Processor#submitBatch}: pass {@code events.size()} as the count. */
    public static byte[] pack(List<byte[]> events) {
        int size = 0;
        for (byte[] e : events) {
            size = Math.addExact(size, Math.addExact(4, e.length));
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        for (byte[] e : events) {
            buf.putInt(e.length).put(e);
        }
        return buf.array();
    }
}
