package dev.nodekit.jvm;

import dev.nodekit.Nodekit;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
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
import javax.management.NotificationEmitter;

/**
 * Runs a Go GC ({@link Nodekit#collectDropped()}) shortly after each Java GC.
 *
 * <p>Why: a Go object handed to Java is pinned until its Java proxy is collected
 * and go.Seq's reference-queue thread tells Go to unpin it; only the next Go GC
 * then frees it and runs its cleanup (e.g. stops a dropped handle). Go's GC is
 * paced by the Go heap, not the Java heap, so without help that can take
 * forever.
 *
 * <p>How: the JVM's garbage collector beans send a notification after every
 * collection, young or full (a listener, no polling); each schedules
 * collectDropped at once, after 100 ms and after 500 ms (go.Seq's queue thread
 * unpins asynchronously, so a single call may come too early). On a JVM
 * without those notifications a phantom-reachable sentinel object stands in:
 * a daemon thread blocks on its {@link ReferenceQueue} and re-arms it after
 * each GC that clears it (it can miss a GC that comes before the re-arm). A new GC cycle
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
    private static volatile boolean disabled; // by a failure, or by stop()

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
        if (!listen()) {
            arm();
            daemon("nodekit-gc-sentinel").newThread(GcSentinel::watch).start();
        }
    }

    /** The notification type of a finished collection (com.sun.management.GarbageCollectionNotificationInfo). */
    static final String GC_NOTIFICATION = "com.sun.management.gc.notification";

    /** Listens to every GC bean's notifications; false if there is none to listen to. */
    private static boolean listen() {
        boolean any = false;
        try {
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                if (gc instanceof NotificationEmitter) {
                    ((NotificationEmitter) gc).addNotificationListener(
                            (n, handback) -> collected(), n -> GC_NOTIFICATION.equals(n.getType()), null);
                    any = true;
                }
            }
        } catch (RuntimeException | LinkageError e) { // no java.management: the sentinel object instead
            LOG.log(System.Logger.Level.DEBUG, "nodekit: no GC notifications; using a sentinel object", e);
        }
        return any;
    }

    private static void collected() {
        GC_CYCLES.incrementAndGet();
        scheduleBurst();
    }

    /**
     * Blocks until the sentinel has seen at least {@code cycles} Java
     * collections in all and the collectDropped calls scheduled for them have
     * run (for tests; woken by the notifications, no polling). Returns false
     * if that did not happen within the timeout.
     */
    static boolean awaitBurst(long cycles, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (true) {
            List<ScheduledFuture<?>> pending;
            synchronized (LOCK) {
                while (GC_CYCLES.get() < cycles) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    TimeUnit.NANOSECONDS.timedWait(LOCK, left);
                }
                pending = new ArrayList<>(PENDING);
            }
            try {
                for (ScheduledFuture<?> f : pending) {
                    f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                }
                return true;
            } catch (java.util.concurrent.CancellationException e) {
                // a later collection replaced the burst: wait for the new one
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("collectDropped failed", e.getCause());
            } catch (java.util.concurrent.TimeoutException e) {
                return false;
            }
        }
    }

    /** Stops the Go GCs for good: the JVM is shutting down (NativeLoader's hook). */
    static void stop() {
        disabled = true;
    }

    /** Number of Java collections seen so far (for tests). */
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
            collected();
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
            LOCK.notifyAll(); // awaitBurst
        }
    }

    private static void collect() {
        if (disabled || System.nanoTime() - lastEndNanos < TimeUnit.MILLISECONDS.toNanos(MIN_GAP_MS)) {
            return;
        }
        try {
            Nodekit.collectDropped();
            COLLECTIONS.incrementAndGet();
        } catch (Throwable t) {
            disabled = true; // report once, don't spam after every GC
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
