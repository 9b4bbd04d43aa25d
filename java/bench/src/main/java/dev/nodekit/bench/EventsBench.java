package dev.nodekit.bench;

import dev.nodekit.Nodekit;
import dev.nodekit.Processor;
import dev.nodekit.ProcessorCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Events handed to a Java handler, in events per second (one op = one event).
 * Target: ≥ 500 k events/s (docs/architecture.md, "Targets").
 *
 * <ul>
 *   <li>{@code processorSubmitToJavaHandler}: the user-visible path. The
 *       benchmark thread submits N events with {@code processor.submit(byte[])}
 *       (Java→Go) and waits until the handler, called by the processor's Go
 *       thread (Go→Java), has seen all N.</li>
 *   <li>{@code baselineArrayBlockingQueue}: the same handler fed by an
 *       ArrayBlockingQueue and a Java consumer thread.</li>
 *   <li>{@code processorBacklogToJavaHandler}: the Go→Java half alone. N events
 *       wait in the processor's queue (filled outside the measurement while the
 *       handler is held at a gate); the measurement is the drain.</li>
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EventsBench {
    /** Events per benchmark invocation. */
    public static final int N = 10_000;

    /**
     * The event: payloadBytes bytes (default 16). The per-event cost barely
     * depends on it: {@code -p payloadBytes=16,4096} shows how much of it is
     * the crossing itself, i.e. what batching events into one byte[] would save.
     */
    @State(Scope.Benchmark)
    public static class Payload {
        @Param("16")
        public int payloadBytes;
        byte[] bytes;

        @Setup(Level.Trial)
        public void make() {
            bytes = new byte[payloadBytes];
        }
    }

    @State(Scope.Benchmark)
    public static class ProcessorState {
        final CountingHandler handler = new CountingHandler();
        Processor processor;

        private long passes;
        private long events;

        @Setup(Level.Trial)
        public void start() throws Exception {
            processor = Nodekit.startProcessor(null, null, handler, null);
        }

        @Setup(Level.Iteration)
        public void mark() {
            ProcessorCounters c = processor.counters();
            passes = c.getPasses();
            events = c.getEventsHandled();
        }

        /** How many events each pass of the loop handled: how well the processor batches. */
        @TearDown(Level.Iteration)
        public void report() {
            ProcessorCounters c = processor.counters();
            System.out.printf("(%.1f events per processor pass)%n",
                    (double) (c.getEventsHandled() - events) / Math.max(1, c.getPasses() - passes));
        }

        @TearDown(Level.Trial)
        public void stop() {
            Checks.ok("processor stop", processor.stop());
        }
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void processorSubmitToJavaHandler(ProcessorState s, Payload p) throws Exception {
        byte[] event = p.bytes;
        long target = s.handler.expect(N);
        for (int i = 0; i < N; i++) {
            s.processor.submit(event);
        }
        s.handler.await(target);
    }

    /** The same handler, given every pending event in one call (startBatchProcessor). */
    @State(Scope.Benchmark)
    public static class BatchProcessorState {
        final CountingHandler handler = new CountingHandler();
        Processor processor;

        private byte[] packed;

        @Setup(Level.Trial)
        public void start() throws Exception {
            processor = Nodekit.startBatchProcessor(null, null, handler, null);
        }

        /** SUBMIT_BATCH copies of event, packed once. */
        byte[] packed(byte[] event) {
            if (packed == null) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(SUBMIT_BATCH * (4 + event.length));
                for (int i = 0; i < SUBMIT_BATCH; i++) {
                    b.putInt(event.length).put(event);
                }
                packed = b.array();
            }
            return packed;
        }

        @TearDown(Level.Trial)
        public void stop() {
            Checks.ok("batch processor stop", processor.stop());
        }
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void processorSubmitToJavaBatchHandler(BatchProcessorState s, Payload p) throws Exception {
        byte[] event = p.bytes;
        long target = s.handler.expect(N);
        for (int i = 0; i < N; i++) {
            s.processor.submit(event);
        }
        s.handler.await(target);
    }

    /** Both directions batched: 100 events per submitBatch call, a batch handler. */
    @Benchmark
    @OperationsPerInvocation(N)
    public void processorSubmitBatchToJavaBatchHandler(BatchProcessorState s, Payload p) throws Exception {
        byte[] packed = s.packed(p.bytes);
        long target = s.handler.expect(N);
        for (int i = 0; i < N; i += SUBMIT_BATCH) {
            s.processor.submitBatch(packed, SUBMIT_BATCH);
        }
        s.handler.await(target);
    }

    /** Events per submitBatch call in processorSubmitBatchToJavaBatchHandler (N is a multiple). */
    static final int SUBMIT_BATCH = 100;

    @State(Scope.Benchmark)
    public static class QueueState {
        final CountingHandler handler = new CountingHandler();
        // As large as a batch: like the processor's queue, put() never blocks here.
        final ArrayBlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(N);
        Thread consumer;

        @Setup(Level.Trial)
        public void start() {
            consumer = new Thread(() -> {
                try {
                    while (true) {
                        handler.handleEvent(queue.take());
                    }
                } catch (InterruptedException stop) {
                    // done
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "abq-consumer");
            consumer.setDaemon(true);
            consumer.start();
        }

        @TearDown(Level.Trial)
        public void stop() throws InterruptedException {
            consumer.interrupt();
            consumer.join();
        }
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void baselineArrayBlockingQueue(QueueState s, Payload p) throws InterruptedException {
        byte[] event = p.bytes;
        long target = s.handler.expect(N);
        for (int i = 0; i < N; i++) {
            s.queue.put(event);
        }
        s.handler.await(target);
    }

    /** A CountingHandler that can be held at a gate on the next event. */
    static final class GatedHandler extends CountingHandler {
        private volatile CountDownLatch gate;

        @Override
        public void handleEvent(byte[] event) throws Exception {
            CountDownLatch g = gate;
            if (g != null) {
                gate = null; // tells close() that the handler is now held
                g.await();
            }
            super.handleEvent(event);
        }

        /** Holds the handler on the next event (submitted by the caller); returns the gate to open. */
        CountDownLatch close() {
            CountDownLatch g = new CountDownLatch(1);
            gate = g;
            return g;
        }

        boolean held() {
            return gate == null;
        }
    }

    @State(Scope.Benchmark)
    public static class BacklogState {
        final GatedHandler handler = new GatedHandler();
        Processor processor;
        CountDownLatch gate;
        long target;

        @Setup(Level.Trial)
        public void start() throws Exception {
            processor = Nodekit.startProcessor(null, null, handler, null);
        }

        /** Outside the measurement: hold the handler, then queue N events behind it. */
        @Setup(Level.Invocation)
        public void fill(Payload p) throws Exception {
            target = handler.expect(N + 1);
            gate = handler.close();
            processor.submit(p.bytes); // the event the handler is held on
            while (!handler.held()) {
                Thread.onSpinWait();
            }
            for (int i = 0; i < N; i++) {
                processor.submit(p.bytes);
            }
        }

        @TearDown(Level.Trial)
        public void stop() {
            Checks.ok("processor stop", processor.stop());
        }
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void processorBacklogToJavaHandler(BacklogState s) {
        s.gate.countDown();
        s.handler.await(s.target);
    }
}
