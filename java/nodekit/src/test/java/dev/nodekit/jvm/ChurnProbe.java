package dev.nodekit.jvm;

import dev.nodekit.Event;
import dev.nodekit.GoRuntimeStats;
import dev.nodekit.Group;
import dev.nodekit.Nodekit;
import dev.nodekit.Processor;
import dev.nodekit.Result;
import dev.nodekit.Service;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The churn measurement, run in a JVM of its own with default settings and no
 * System.gc(): many short-lived handles (or many events), and every
 * {@code every} cycles one line of what the process holds. ChurnTest runs it
 * with a bounded count; {@code make churn-java} with the long one.
 *
 * <pre>
 *   ChurnProbe group N [every]      N × (new Group, 3 Java services with hooks, start, stop)
 *   ChurnProbe observed N [every]   the same with an observer (Event.observer: an Event value per event)
 *   ChurnProbe processor N [every]  N × (startProcessor with a Java handler, 10 events, stop)
 *   ChurnProbe events N [every]     N events through one processor's Java handler
 *   ChurnProbe refs                 Go objects handed to Java per operation (no GC in between)
 *   ChurnProbe held N               what N stopped handles still hold while Java keeps their proxies
 *   ChurnProbe exit N               ms from main's return to the JVM's end, in child JVMs:
 *                                   without nodekit, with it loaded, after N Group cycles (4 callbacks each),
 *                                   10 runs each, taking turns
 * </pre>
 *
 * Each sample line starts with "sample" and has name=value fields: cycles,
 * ms (since start), rssKiB, goHeapLiveKiB, goObjects, goGCs, goRefs (Go
 * objects with a live Java proxy: go.Seq's tracked references), javaRefs (Java
 * objects pinned for Go), jvmThreads, osThreads, fds, javaGCs (young+old),
 * javaHeapKiB.
 */
public final class ChurnProbe {
    static final byte[] EVENT = "churn".getBytes(StandardCharsets.UTF_8);

    private ChurnProbe() {}

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "group";
        long n = args.length > 1 ? Long.parseLong(args[1].replace("_", "")) : 10_000;
        long every = args.length > 2 ? Long.parseLong(args[2].replace("_", "")) : 10_000;
        if (mode.equals("exit")) {
            exitTimes(n);
            return;
        }
        if (mode.equals("exit-child")) { // n < 0: nodekit is not loaded at all
            if (n >= 0) {
                Nodekit.version();
            }
            for (long i = 0; i < n; i++) {
                groupCycle(Watch.OBSERVER);
            }
            System.out.println("END " + System.nanoTime());
            return;
        }
        Nodekit.version(); // loads the library
        switch (mode) {
            case "group":
                churn(n, every, () -> groupCycle(Watch.NONE));
                break;
            case "observed":
                churn(n, every, () -> groupCycle(Watch.OBSERVER));
                break;
            case "processor":
                churn(n, every, ChurnProbe::processorCycle);
                break;
            case "events":
                events(n, every);
                break;
            case "refs":
                refs();
                break;
            case "held":
                held("group (3 Java services, observer)", n, () -> {
                    Group g = new Group();
                    g.observe(0, Event.observer(e -> HOOKS.incrementAndGet()));
                    for (int i = 0; i < 3; i++) {
                        g.add("s" + i, new CountingService());
                    }
                    check("start", g.start());
                    check("stop", g.stop());
                    return g;
                });
                held("processor (Java handler, 10 events)", n, () -> {
                    Processor p = Nodekit.startProcessor(null, null, e -> HANDLED.incrementAndGet(), null);
                    for (int i = 0; i < 10; i++) {
                        p.submit(EVENT);
                    }
                    check("stop", p.stop());
                    return p;
                });
                break;
            default:
                throw new IllegalArgumentException("unknown mode " + mode);
        }
    }

    /**
     * Runs child JVMs that return from main and reports how long each took to
     * end: 10 runs of each kind, the kinds taking turns so that the machine's
     * load falls on all of them alike.
     */
    static void exitTimes(long cycles) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        long[] kinds = {-1, 0, cycles};
        List<List<Long>> ms = new java.util.ArrayList<>();
        for (int k = 0; k < kinds.length; k++) {
            ms.add(new java.util.ArrayList<>());
        }
        for (int run = 0; run < 10; run++) {
            for (int k = 0; k < kinds.length; k++) {
                Process p = new ProcessBuilder(javaBin, "--enable-native-access=ALL-UNNAMED", "-cp", cp,
                        ChurnProbe.class.getName(), "exit-child", Long.toString(kinds[k])).redirectErrorStream(true).start();
                long end = -1;
                try (java.io.BufferedReader r = new java.io.BufferedReader(
                        new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        if (line.startsWith("END ")) {
                            end = Long.parseLong(line.substring(4).trim());
                        }
                    }
                }
                p.waitFor();
                // System.nanoTime is CLOCK_MONOTONIC on Linux: the same clock in both JVMs.
                ms.get(k).add(end < 0 ? -1 : (System.nanoTime() - end) / 1_000_000);
            }
        }
        for (int k = 0; k < kinds.length; k++) {
            long n = kinds[k];
            List<Long> sorted = new java.util.ArrayList<>(ms.get(k));
            java.util.Collections.sort(sorted);
            String what = n < 0 ? "without nodekit" : n == 0 ? "nodekit loaded, no callback" : n + " Group cycles with an observer";
            System.out.println("exit " + what + ": ms after main returned " + ms.get(k)
                    + " median " + sorted.get(sorted.size() / 2));
        }
    }

    interface Cycle {
        void run() throws Exception;
    }

    static final AtomicLong HOOKS = new AtomicLong();
    static final AtomicLong HANDLED = new AtomicLong();

    static final class CountingService implements Service {
        @Override
        public void start() {
            HOOKS.incrementAndGet();
        }

        @Override
        public void stop() {
            HOOKS.incrementAndGet();
        }
    }

    enum Watch { NONE, OBSERVER }

    static void groupCycle(Watch watch) throws Exception {
        Group g = new Group();
        if (watch == Watch.OBSERVER) {
            g.observe(0, Event.observer(e -> HOOKS.incrementAndGet()));
        }
        for (int i = 0; i < 3; i++) {
            g.add("s" + i, new CountingService());
        }
        check("start", g.start());
        check("stop", g.stop());
    }

    static void processorCycle() throws Exception {
        Processor p = Nodekit.startProcessor(null, null, e -> HANDLED.incrementAndGet(), null);
        for (int i = 0; i < 10; i++) {
            p.submit(EVENT);
        }
        check("stop", p.stop());
    }

    static void check(String what, Result r) {
        if (!r.isOk()) {
            throw new IllegalStateException(what + ": " + r);
        }
    }

    static void churn(long n, long every, Cycle cycle) throws Exception {
        long t0 = System.nanoTime();
        sample(0, t0);
        for (long i = 1; i <= n; i++) {
            cycle.run();
            if (i % every == 0) {
                sample(i, t0);
            }
        }
        summary(n, t0, "cycles");
    }

    static void events(long n, long every) throws Exception {
        Processor p = Nodekit.startProcessor(null, null, e -> HANDLED.incrementAndGet(), null);
        long t0 = System.nanoTime();
        sample(0, t0);
        for (long i = 1; i <= n; i++) {
            p.submit(EVENT);
            if (i % every == 0) {
                while (HANDLED.get() < i) { // sample what is held, not the queue's backlog
                    Thread.onSpinWait();
                }
                sample(i, t0);
            }
        }
        check("stop", p.stop());
        summary(n, t0, "events");
        if (HANDLED.get() != n) {
            throw new IllegalStateException("handled " + HANDLED.get() + " of " + n + " events");
        }
    }

    static void summary(long n, long t0, String unit) {
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("done %s=%d seconds=%.1f per_second=%.0f%n", unit, n, s, n / s);
    }

    interface Handle {
        Object make() throws Exception;
    }

    /**
     * What a stopped handle costs while its proxy is alive: N handles made,
     * stopped and kept reachable; Go's live heap (after Go GCs) and the Java
     * heap (after a Java GC) before and after, per handle; then the same
     * once they are dropped and collected.
     */
    static void held(String what, long n, Handle make) throws Exception {
        for (int i = 0; i < 2_000; i++) { // warm up: class loading, JIT, Go's pools
            make.make();
        }
        long[] before = settledHeaps();
        List<Object> keep = new java.util.ArrayList<>();
        for (long i = 0; i < n; i++) {
            keep.add(make.make());
        }
        long[] held = settledHeaps();
        int refs = keep.size();
        keep.clear();
        long[] dropped = settledHeaps();
        System.out.printf("held op=\"%s\" handles=%d go_bytes_per_handle=%.0f java_bytes_per_handle=%.0f"
                        + " go_refs_per_handle=%.2f after_drop_go_bytes_per_handle=%.0f%n",
                what, refs, (double) (held[0] - before[0]) / n, (double) (held[1] - before[1]) / n,
                (double) (held[2] - before[2]) / n, (double) (dropped[0] - before[0]) / n);
    }

    /** {Go live heap, Java heap used, go.Seq's tracked references} once both sides have collected. */
    static long[] settledHeaps() throws InterruptedException {
        settle(); // Java GC, and go.Seq's queue thread has told Go
        Nodekit.collectDropped();
        Nodekit.collectDropped(); // the first GC's finalizers free more in the second
        return new long[] {Nodekit.readGoRuntimeStats().getHeapLiveBytes(),
                ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), goRefs()};
    }

    /** Go objects handed to Java per operation: counted between two points with no Java GC in between. */
    static void refs() throws Exception {
        for (int i = 0; i < 2_000; i++) { // warm up: class loading, JIT, Go's pools
            groupCycle(Watch.OBSERVER);
            processorCycle();
        }
        measureRefs("group (3 Java services)", () -> groupCycle(Watch.NONE));
        measureRefs("group (3 Java services, observer)", () -> groupCycle(Watch.OBSERVER));
        measureRefs("processor (Java handler, 10 events)", ChurnProbe::processorCycle);
        Processor p = Nodekit.startProcessor(null, null, e -> HANDLED.incrementAndGet(), null);
        measureRefs("event (submit to a Java handler)", () -> p.submit(EVENT));
        check("stop", p.stop());
    }

    /**
     * Counts what op hands Java, from go.Seq's set of tracked proxies: it
     * gains one per proxy made and loses them only after a Java GC, so with
     * no GC in between its growth counts the proxies (Java objects, each
     * pinning a Go object) and its new refnums the distinct Go objects.
     */
    static void measureRefs(String what, Cycle op) throws Exception {
        final int ops = 200;
        for (int attempt = 0; attempt < 20; attempt++) {
            settle();
            long gcs = javaGCs();
            java.util.Set<Integer> before = goRefnums();
            for (int i = 0; i < ops; i++) {
                op.run();
            }
            java.util.Set<Integer> after = goRefnums();
            if (javaGCs() == gcs) {
                long proxies = goRefs() - before.size();
                after.removeAll(before);
                System.out.printf("refs op=\"%s\" java_proxies=%.2f go_objects=%.2f%n", what,
                        (double) proxies / ops, (double) after.size() / ops);
                return;
            }
        }
        throw new IllegalStateException("a Java GC ran during every attempt to count " + what);
    }

    /**
     * Collects (this mode only: it measures, it is not the churn) and waits
     * until go.Seq's queue thread has untracked every cleared proxy.
     */
    static void settle() throws InterruptedException {
        System.gc();
        long last = -1;
        for (int still = 0; still < 5; ) {
            Thread.sleep(20);
            long now = goRefs();
            still = now == last ? still + 1 : 0;
            last = now;
        }
    }

    /** The refnums (Go objects) of go.Seq's tracked proxies. */
    static java.util.Set<Integer> goRefnums() {
        try {
            Object queue = field(Class.forName("go.Seq"), "goRefQueue").get(null);
            Collection<?> refs = (Collection<?>) field(queue.getClass(), "refs").get(queue);
            java.util.Set<Integer> nums = new java.util.HashSet<>();
            synchronized (refs) {
                for (Object r : refs) {
                    nums.add(field(r.getClass(), "refnum").getInt(r));
                }
            }
            return nums;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("go.Seq changed: " + e, e);
        }
    }

    static void sample(long cycles, long t0) throws IOException {
        GoRuntimeStats go = Nodekit.readGoRuntimeStats();
        System.out.printf("sample cycles=%d ms=%d rssKiB=%d goHeapLiveKiB=%d goObjects=%d goGCs=%d goRefs=%d javaRefs=%d"
                        + " jvmThreads=%d osThreads=%d fds=%d javaGCs=%d javaHeapKiB=%d%n",
                cycles, (System.nanoTime() - t0) / 1_000_000, status("VmRSS"), go.getHeapLiveBytes() / 1024,
                go.getHeapObjects(), go.getGCCycles(), goRefs(), javaRefs(),
                ManagementFactory.getThreadMXBean().getThreadCount(), status("Threads"), fds(), javaGCs(),
                ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1024);
    }

    static long javaGCs() {
        long n = 0;
        List<GarbageCollectorMXBean> beans = ManagementFactory.getGarbageCollectorMXBeans();
        for (GarbageCollectorMXBean b : beans) {
            n += Math.max(0, b.getCollectionCount());
        }
        return n;
    }

    /** A field of /proc/self/status as a number (VmRSS in KiB, Threads). */
    static long status(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
            }
        }
        return -1;
    }

    static long fds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    /** Go objects with a live Java proxy (go.Seq's GoRefQueue.refs). */
    static long goRefs() {
        try {
            Object queue = field(Class.forName("go.Seq"), "goRefQueue").get(null);
            return ((Collection<?>) field(queue.getClass(), "refs").get(queue)).size();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("go.Seq changed: " + e, e);
        }
    }

    /** Java objects pinned because Go holds them (go.Seq's RefTracker.javaObjs). */
    static long javaRefs() {
        try {
            Object tracker = field(Class.forName("go.Seq"), "tracker").get(null);
            Object map = field(tracker.getClass(), "javaObjs").get(tracker);
            synchronized (tracker) {
                return field(map.getClass(), "live").getInt(map);
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("go.Seq changed: " + e, e);
        }
    }

    static Field field(Class<?> c, String name) throws NoSuchFieldException {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }
}
