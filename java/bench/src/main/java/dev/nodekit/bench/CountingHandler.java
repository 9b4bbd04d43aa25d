package dev.nodekit.bench;

import dev.nodekit.BatchEventHandler;
import dev.nodekit.EventHandler;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The Java handler of the event benchmarks: it counts events and wakes the
 * benchmark thread when the count reaches the target set by {@link #expect}.
 * The same class is fed by nodekit's processor and by the baselines.
 */
class CountingHandler implements EventHandler, BatchEventHandler {
    private final AtomicLong seen = new AtomicLong();
    private volatile long target = Long.MAX_VALUE;
    private volatile Thread waiter;

    @Override
    public void handleEvent(byte[] event) throws Exception {
        if (seen.incrementAndGet() == target) {
            LockSupport.unpark(waiter);
        }
    }

    /** The batched form: walks the packed events (length, bytes) and counts them. */
    @Override
    public long handleEvents(byte[] data, long count) throws Exception {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(data);
        for (long i = 0; i < count; i++) {
            buf.position(buf.position() + 4 + buf.getInt(buf.position()));
        }
        if (seen.addAndGet(count) >= target) {
            LockSupport.unpark(waiter);
        }
        return count;
    }

    /** Arms the wake-up for n more events (call before submitting them); returns the target count. */
    long expect(long n) {
        waiter = Thread.currentThread();
        long t = seen.get() + n;
        target = t;
        return t;
    }

    /** Blocks until the count has reached target. */
    void await(long target) {
        while (seen.get() < target) {
            LockSupport.park(this);
        }
    }

    long seen() {
        return seen.get();
    }
}
