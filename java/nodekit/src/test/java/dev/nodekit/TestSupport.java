package dev.nodekit;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Helpers shared by the Java tests: recorders with bounded waits, and a GC loop. */
final class TestSupport {
    /** Upper bound for anything the tests wait for; a wait only takes this long when something is broken. */
    static final long WAIT_SECONDS = 10;

    private TestSupport() {}

    /**
     * Runs call on n threads released together (a latch), and returns each
     * thread's result, waiting at most WAIT_SECONDS for each.
     */
    static <T> List<T> concurrently(int n, java.util.concurrent.Callable<T> call) throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<java.util.concurrent.Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return call.call();
                }));
            }
            go.countDown();
            List<T> results = new ArrayList<>();
            for (java.util.concurrent.Future<T> f : futures) {
                results.add(f.get(WAIT_SECONDS, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String str(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    /** Polls q for up to WAIT_SECONDS; fails the test if nothing arrives. */
    static <T> T poll(BlockingQueue<T> q, String what) throws InterruptedException {
        T v = q.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        if (v == null) {
            fail(what + " did not happen within " + WAIT_SECONDS + " s");
        }
        return v;
    }

    static void await(CountDownLatch latch, String what) throws InterruptedException {
        if (!latch.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
            fail(what + " did not happen within " + WAIT_SECONDS + " s");
        }
    }

    /**
     * Runs System.gc() repeatedly, waiting on done between the calls, until done
     * is counted down or the deadline passes. The jar's GC sentinel runs a Go GC
     * after each Java GC, which is what releases a dropped handle; several Java
     * GCs may be needed (the JVM collects the proxy, go.Seq unpins the Go
     * object, the next Go GC frees it).
     */
    static boolean gcUntil(CountDownLatch done, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            System.gc();
            if (done.await(200, TimeUnit.MILLISECONDS)) {
                return true;
            }
        }
        return done.getCount() == 0;
    }

    /** How a child JVM ended: whether it exited in time, its exit value (-1 if killed), what it printed. */
    record ChildJvm(boolean exited, int exitValue, String output) {}

    /**
     * Runs main's main(args) in a child JVM with this test run's class path
     * (stdout and stderr together, through a file, so a chatty child never
     * blocks on a full pipe), waits at most seconds and kills it if it has not
     * exited by then. For what only a whole process shows: JVM exit, shutdown
     * hooks, a Go panic that would abort the test JVM.
     */
    static ChildJvm runChildJvm(Class<?> main, long seconds, String... args) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(javaBin, "--enable-native-access=ALL-UNNAMED", "-cp", cp, main.getName()));
        command.addAll(List.of(args));
        File out = File.createTempFile("nodekit-" + main.getSimpleName(), ".txt");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out).start();
            boolean exited = p.waitFor(seconds, TimeUnit.SECONDS);
            if (!exited) {
                p.destroyForcibly().waitFor();
            }
            String output = new String(Files.readAllBytes(out.toPath()), StandardCharsets.UTF_8);
            return new ChildJvm(exited, exited ? p.exitValue() : -1, output);
        } finally {
            out.delete();
        }
    }

    /** A thread-safe log of calls that can also be waited on. */
    static final class Recorder {
        private final List<String> lines = new ArrayList<>();
        private final BlockingQueue<String> feed = new LinkedBlockingQueue<>();

        void add(String line) {
            synchronized (lines) {
                lines.add(line);
            }
            feed.add(line);
        }

        List<String> snapshot() {
            synchronized (lines) {
                return new ArrayList<>(lines);
            }
        }

        /** Waits until want has been recorded (consuming the feed up to it). */
        void await(String want) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (true) {
                long left = deadline - System.nanoTime();
                String got = left > 0 ? feed.poll(left, TimeUnit.NANOSECONDS) : null;
                if (got == null) {
                    fail("\"" + want + "\" was never recorded; saw " + snapshot());
                }
                if (got.equals(want)) {
                    return;
                }
            }
        }
    }

    /** A Java Service that records "start NAME" / "stop NAME" and may throw from either hook. */
    static class RecordingService implements Service {
        final String name;
        final Recorder calls;
        volatile Exception startFailure;
        volatile Exception stopFailure;
        volatile Thread startThread;

        RecordingService(String name, Recorder calls) {
            this.name = name;
            this.calls = calls;
        }

        @Override
        public void start() throws Exception {
            startThread = Thread.currentThread();
            calls.add("start " + name);
            if (startFailure != null) {
                throw startFailure;
            }
        }

        @Override
        public void stop() throws Exception {
            calls.add("stop " + name);
            if (stopFailure != null) {
                throw stopFailure;
            }
        }
    }

    /** One Logger line. */
    record LogLine(long level, String message) {}

    /** A Logger that queues every line. */
    static final class QueueLogger implements Logger {
        final BlockingQueue<LogLine> lines = new LinkedBlockingQueue<>();

        @Override
        public void log(long level, String message) {
            lines.add(new LogLine(level, message));
        }

        /** Waits for a line at level whose message contains all of parts. */
        LogLine await(long level, String... parts) throws InterruptedException {
            List<LogLine> seen = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (true) {
                long left = deadline - System.nanoTime();
                LogLine l = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
                if (l == null) {
                    fail("no log line at level " + level + " containing " + List.of(parts) + "; saw " + seen);
                }
                seen.add(l);
                if (l.level() == level && containsAll(l.message(), parts)) {
                    return l;
                }
            }
        }

        private static boolean containsAll(String s, String... parts) {
            for (String p : parts) {
                if (!s.contains(p)) {
                    return false;
                }
            }
            return true;
        }
    }
}
