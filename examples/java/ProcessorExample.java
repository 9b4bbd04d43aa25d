import dev.nodekit.FilePersister;
import dev.nodekit.Kind;
import dev.nodekit.Nodekit;
import dev.nodekit.Processor;
import dev.nodekit.ProcessorConfig;
import dev.nodekit.ProcessorCounters;
import dev.nodekit.Result;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Counts events in a background processor whose state is persisted with a
 * {@link FilePersister}: run it twice and the second run continues where the
 * first stopped. The Java twin of examples/processor/main.go.
 *
 * <pre>
 *   make demo-java                                              # both examples, state in $java.io.tmpdir
 *   scripts/run-jvm-example.sh java ProcessorExample [dir] [runForMillis]   # 0: until Ctrl-C
 * </pre>
 *
 * Exits with status 1 if the state cannot be loaded or stop() reports an error.
 */
public final class ProcessorExample {
    private static final String STATE_KEY = "counter";

    public static void main(String[] args) throws Exception {
        String dir = args.length > 0 ? args[0]
                : Path.of(System.getProperty("java.io.tmpdir"), "nodekit-processor-example-java").toString();
        long runForMillis = args.length > 1 ? Long.parseLong(args[1]) : 2000;

        // FilePersister is nodekit's own file store: one file per key, written
        // atomically with a checksum (the same format as the Go example).
        FilePersister store = new FilePersister(dir);
        byte[] data;
        try {
            data = store.load(STATE_KEY); // null: first run
        } catch (Exception e) { // corrupt or unreadable: an error, never "empty"
            System.err.println("processor: cannot load the counter from " + dir + ": " + e.getMessage());
            System.exit(1);
            return;
        }
        AtomicLong count = new AtomicLong();
        if (data == null) {
            System.out.println("first run: counting from 0 in " + dir);
        } else {
            count.set(Long.parseLong(new String(data, StandardCharsets.UTF_8)));
            System.out.println("resuming at " + count.get() + " from " + dir);
        }

        // The handler and the timer run on background threads (one callback at a
        // time) and need the processor itself, which exists only once
        // startProcessor returns.
        AtomicReference<Processor> self = new AtomicReference<>();

        ProcessorConfig config = new ProcessorConfig();
        config.setStateKey(STATE_KEY);
        config.setInitialState(data); // as loaded: not persisted again until it changes
        config.addTimer("tick", 250, nowUnixMillis -> {
            Processor p = self.get();
            if (p != null) {
                p.submit(ByteBuffer.allocate(Long.BYTES).putLong(nowUnixMillis).array());
            }
        });

        Processor processor = Nodekit.startProcessor(config, store,
                event -> {
                    long n = count.incrementAndGet();
                    // Dirty: the processor persists it after this pass, and on stop at the latest.
                    self.get().updateState(Long.toString(n).getBytes(StandardCharsets.UTF_8));
                },
                (level, message) -> {
                    if (level >= Nodekit.LevelWarn) {
                        System.err.println("processor log [" + level + "]: " + message);
                    }
                });
        self.set(processor);

        // Run for runForMillis, until Ctrl-C, or until the processor stops by itself
        // (a persist that failed, say): whichever comes first.
        CountDownLatch wake = new CountDownLatch(1);
        // Ctrl-C starts the JVM's shutdown: the hook wakes main, then gives it
        // time to stop the processor, print and halt (see exit below).
        Thread hook = new Thread(() -> {
            wake.countDown();
            try {
                Thread.sleep(15_000);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "ctrl-c");
        Runtime.getRuntime().addShutdownHook(hook);
        Thread joiner = new Thread(() -> {
            processor.join();
            wake.countDown();
        }, "processor-join");
        joiner.setDaemon(true);
        joiner.start();
        if (runForMillis > 0) {
            wake.await(runForMillis, TimeUnit.MILLISECONDS);
        } else {
            wake.await();
        }

        Result result = processor.stop();
        ProcessorCounters c = processor.counters();
        System.out.printf("stopped at %d: %d events, %d persists (last took %d µs), %d passes; result=%s%n",
                count.get(), c.getEventsHandled(), c.getPersists(), c.getLastPersistNanos() / 1000,
                c.getPasses(), result);

        if (!result.isOk()) {
            System.err.println("processor: stop failed: " + Kind.of(result) + ": " + result.message());
            exit(hook, 1);
        }
        exit(hook, 0);
    }

    /** Exits with status, also when Ctrl-C already started the JVM's shutdown. */
    private static void exit(Thread hook, int status) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // System.exit would block forever inside a shutdown: halt instead.
            Runtime.getRuntime().halt(status);
        }
        System.exit(status);
    }
}
