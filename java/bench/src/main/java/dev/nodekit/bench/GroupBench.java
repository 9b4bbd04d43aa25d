package dev.nodekit.bench;

import dev.nodekit.BatchObserver;
import dev.nodekit.Event;
import dev.nodekit.Group;
import dev.nodekit.Observer;
import dev.nodekit.Service;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Group built, started and stopped from Java, per service (one op = one
 * service of a group of {@link #SERVICES}). The difference between the
 * variants isolates the Go→Java callbacks:
 * <ul>
 *   <li>{@code nullServices}: services without hooks, no observer: Java→Go calls only
 *       (new Group, add × SERVICES, start, stop);</li>
 *   <li>{@code nullServicesCountingObserver}: the same plus an observer counting
 *       events: 4 Go→Java calls per service, each with the event as plain values;</li>
 *   <li>{@code javaServices}: services with empty Java start()/stop(), no observer:
 *       2 Go→Java calls per service;</li>
 *   <li>{@code javaServicesCountingObserver}: Java hooks and the observer: 6 Go→Java
 *       calls per service;</li>
 *   <li>{@code nullServicesBatchObserver}, {@code javaServicesBatchObserver}: the
 *       same as the two observer variants with the events counted by a
 *       {@code BatchObserver} ({@code Event.batchObserver}: each batch unpacked
 *       into Event objects): one Go→Java call per batch of events.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class GroupBench {
    public static final int SERVICES = 100;

    private static final String[] NAMES = new String[SERVICES];

    static {
        for (int i = 0; i < SERVICES; i++) {
            NAMES[i] = "service-" + i;
        }
    }

    static final class CountingObserver implements Observer {
        final AtomicLong events = new AtomicLong();

        @Override
        public void onEvent(String service, long from, long to, long nanos, String err, long kind, long at) {
            events.incrementAndGet();
        }
    }

    static final class EmptyService implements Service {
        @Override
        public void start() {}

        @Override
        public void stop() {}
    }

    private final CountingObserver observer = new CountingObserver();
    private final AtomicLong batchEvents = new AtomicLong();
    private final AtomicLong batchCalls = new AtomicLong();
    private final BatchObserver counting = Event.batchObserver(e -> batchEvents.incrementAndGet());
    private final BatchObserver batchObserver = (data, count) -> {
        batchCalls.incrementAndGet();
        counting.onEvents(data, count);
    };
    private long groupsBatchObserved;
    private final EmptyService empty = new EmptyService();
    private long groupsObserved;

    private static void run(Observer obs, Service svc) throws Exception {
        run(obs, null, svc);
    }

    private static void run(Observer obs, BatchObserver batch, Service svc) throws Exception {
        Group g = new Group();
        if (obs != null) {
            g.observe(0, obs);
        }
        if (batch != null) {
            g.observeBatch(0, batch);
        }
        for (String name : NAMES) {
            g.add(name, svc);
        }
        Checks.ok("group start", g.start());
        Checks.ok("group stop", g.stop());
    }

    @Benchmark
    @OperationsPerInvocation(SERVICES)
    public void nullServices() throws Exception {
        run(null, null);
    }

    @Benchmark
    @OperationsPerInvocation(SERVICES)
    public void nullServicesCountingObserver() throws Exception {
        run(observer, null);
        groupsObserved++;
    }

    @Benchmark
    @OperationsPerInvocation(SERVICES)
    public void javaServices() throws Exception {
        run(null, empty);
    }

    @Benchmark
    @OperationsPerInvocation(SERVICES)
    public void javaServicesCountingObserver() throws Exception {
        run(observer, empty);
        groupsObserved++;
    }

    @Benchmark
    @OperationsPerInvocation(SERVICES)
    public void nullServicesBatchObserver() throws Exception {
        run(null, batchObserver, null);
        groupsBatchObserved++;
    }

    @Benchmark
    @OperationsPerInvocation(SERVICES)
    public void javaServicesBatchObserver() throws Exception {
        run(null, batchObserver, empty);
        groupsBatchObserved++;
    }

    @TearDown(Level.Iteration)
    public void report() {
        if (groupsObserved > 0) {
            System.out.printf("(observer: %.2f events per service)%n",
                    (double) observer.events.get() / groupsObserved / SERVICES);
        }
        if (groupsBatchObserved > 0) {
            System.out.printf("(batch observer: %.2f events per service, %.2f per call)%n",
                    (double) batchEvents.get() / groupsBatchObserved / SERVICES,
                    (double) batchEvents.get() / batchCalls.get());
        }
    }
}
