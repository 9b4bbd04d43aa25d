package dev.nodekit.bench;

import dev.nodekit.Nodekit;
import dev.nodekit.Processor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Stopping processors: blocking stop() against Kotlin's suspending awaitStop()
 * (nodekit-ktx, built on stopAsync: Go calls back, no thread waits). Each
 * invocation stops {@link #handles} freshly started processors (started in the
 * untimed setup); the score is the time of the whole invocation (the summary
 * divides it by {@code handles}).
 *
 * <ul>
 * <li>blockingStop: stop() one after the other on the benchmark thread;
 * <li>blockingStopOnThreads: stop() on a pool with one (already started)
 *     thread per processor, all at once: what blocking calls need to run in
 *     parallel;
 * <li>suspendStop: awaitStop() in one coroutine per processor, all at once, on
 *     the benchmark thread alone.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
public class StopBench {
    /** Processors stopped per invocation. */
    @Param({"1", "64"})
    public int handles;

    private Processor[] processors;
    private ExecutorService pool;

    @Setup(Level.Trial)
    public void pool() {
        pool = Executors.newFixedThreadPool(handles);
        List<Future<?>> warm = new ArrayList<>();
        for (int i = 0; i < handles; i++) {
            warm.add(pool.submit(() -> {}));
        }
        warm.forEach(f -> {
            try {
                f.get();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @TearDown(Level.Trial)
    public void closePool() {
        pool.shutdownNow();
    }

    @Setup(Level.Invocation)
    public void start() throws Exception {
        processors = new Processor[handles];
        for (int i = 0; i < handles; i++) {
            processors[i] = Nodekit.startProcessor(null, null, null, null);
        }
    }

    private double checked(long ok) {
        if (ok != handles) {
            throw new IllegalStateException(ok + " of " + handles + " processors stopped ok");
        }
        return ok;
    }

    @Benchmark
    public double blockingStop() {
        long ok = 0;
        for (Processor p : processors) {
            ok += p.stop().isOk() ? 1 : 0;
        }
        return checked(ok);
    }

    @Benchmark
    public double blockingStopOnThreads() throws Exception {
        List<Future<Boolean>> stops = new ArrayList<>(handles);
        for (Processor p : processors) {
            stops.add(pool.submit(() -> p.stop().isOk()));
        }
        long ok = 0;
        for (Future<Boolean> f : stops) {
            ok += f.get() ? 1 : 0;
        }
        return checked(ok);
    }

    @Benchmark
    public double suspendStop() {
        return checked(SuspendStops.awaitStopAll(processors));
    }
}
