package dev.nodekit.jvm;

import dev.nodekit.Nodekit;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a Go GC ({@link Nodekit#collectDropped()}) shortly after each Java GC.
 *
 * <p>Why: a Go object handed to Java is pinned until its Java proxy is collected
 * and go.Seq's reference-queue thread tells Go to unpin it; only the next Go GC
 * then frees it and runs its cleanup (e.g. stops a dropped handle). Go's GC is
 * paced by the Go heap, not the Java heap, so without help that can take
 * forever.
 *
 * <p>How: a phantom-reachable sentinel object is registered with a
 * {@link ReferenceQueue}; a daemon thread blocks on the queue (no polling), and
 * when a GC clears the sentinel it re-arms a new one and schedules
 * collectDropped at once, after 100 ms and after 500 ms (go.Seq's queue thread
 * unpins asynchronously, so a single call may come too early). A new GC cycle
 * restarts the burst rather than adding one, and two calls are at least
 * {@value #MIN_GAP_MS} ms apart, so a GC storm costs a bounded number of Go GCs.
 * Both threads are daemon threads: they never keep the JVM alive.
 */
final class GcSentinel {
    /** Delays after a Java GC cycle at which collectDropped runs. */
    static final long[] DELAYS_MS = {0, 100, 500};
    /** Minimum time between the end of one collectDropped and the start of the next. */
    static final long MIN_GAP_MS = 50;

    private static final System.Logger LOG = System.getLogger(GcSentinel.class.getName());

    private static final ReferenceQueue<Object> QUEUE = new ReferenceQueue<>();
    /** The armed sentinel; the Reference object itself must stay strongly reachable. */
    @SuppressWarnings("unused")
    private static volatile Reference<Object> armed;

    private static final AtomicLong GC_CYCLES = new AtomicLong();
    private static final AtomicLong COLLECTIONS = new AtomicLong();

    private static final Object LOCK = new Object();
    private static ScheduledThreadPoolExecutor scheduler; // guarded by LOCK
    private static final List<ScheduledFuture<?>> PENDING = new ArrayList<>(); // guarded by LOCK
    private static volatile long lastEndNanos = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(MIN_GAP_MS);
    private static volatile boolean failed;

    private GcSentinel() {}

    /** Starts the sentinel once; later calls do nothing. */
    static void start() {
        synchronized (LOCK) {
            if (scheduler != null) {
                return;
            }
            scheduler = new ScheduledThreadPoolExecutor(1, daemon("nodekit-collect-dropped"));
            scheduler.setRemoveOnCancelPolicy(true);
            // No thread at all while no GC happened recently.
            scheduler.setKeepAliveTime(10, TimeUnit.SECONDS);
            scheduler.allowCoreThreadTimeOut(true);
        }
        arm();
        daemon("nodekit-gc-sentinel").newThread(GcSentinel::watch).start();
    }

    /** Number of Java GC cycles seen so far (for tests). */
    static long gcCycles() {
        return GC_CYCLES.get();
    }

    /** Number of completed collectDropped calls so far (for tests). */
    static long collections() {
        return COLLECTIONS.get();
    }

    private static void arm() {
        armed = new PhantomReference<>(new Object(), QUEUE);
    }

    private static void watch() {
        while (true) {
            Reference<?> ref;
            try {
                ref = QUEUE.remove(); // blocks until a GC cleared the sentinel
            } catch (InterruptedException e) {
                return;
            }
            ref.clear();
            arm();
            GC_CYCLES.incrementAndGet();
            scheduleBurst();
        }
    }

    private static void scheduleBurst() {
        synchronized (LOCK) {
            for (ScheduledFuture<?> f : PENDING) {
                f.cancel(false);
            }
            PENDING.clear();
            for (long d : DELAYS_MS) {
                PENDING.add(scheduler.schedule(GcSentinel::collect, d, TimeUnit.MILLISECONDS));
            }
        }
    }

    private static void collect() {
        if (failed || System.nanoTime() - lastEndNanos < TimeUnit.MILLISECONDS.toNanos(MIN_GAP_MS)) {
            return;
        }
        try {
            Nodekit.collectDropped();
            COLLECTIONS.incrementAndGet();
        } catch (Throwable t) {
            failed = true; // report once, don't spam after every GC
            LOG.log(System.Logger.Level.WARNING, "nodekit: collectDropped failed; GC sentinel disabled", t);
        } finally {
            lastEndNanos = System.nanoTime();
        }
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, n.getAndIncrement() == 0 ? name : name + "-" + n.get());
            t.setDaemon(true);
            return t;
        };
    }
}
