package dev.nodekit.bench;

import dev.nodekit.Group;
import dev.nodekit.Nodekit;
import dev.nodekit.Processor;
import dev.nodekit.ProcessorCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.CompilerControl;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * Cost of one Java→Go call through the generated bindings (JNI + gobind's
 * seq layer), next to a plain Java call. Target: ≤ 1 µs per call (docs/architecture.md, "Targets").
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class CallBench {
    private static final String VERSION = "0.1.0";

    private Processor processor;
    private Group group;
    /** Size of the byte[] passed to submit() (default 16; try -p payloadBytes=16,4096). */
    @Param("16")
    public int payloadBytes;

    private byte[] payload;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        payload = new byte[payloadBytes];
        // No handler: the processor drops events in Go, so submit() is a Java→Go call only.
        processor = Nodekit.startProcessor(null, null, null, null);
        group = new Group();
        group.add("idle", null);
        Checks.ok("group start", group.start());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Checks.ok("processor stop", processor.stop());
        Checks.ok("group stop", group.stop());
    }

    /** The baseline: a real (not inlined) static Java call returning a constant string. */
    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    private static String javaVersion() {
        return VERSION;
    }

    @Benchmark
    public String baselineJavaStaticString() {
        return javaVersion();
    }

    /** Go string → new Java String. */
    @Benchmark
    public String nodekitVersion() {
        return Nodekit.version();
    }

    /** A method call on a Go object returning a long: no allocation on either side. */
    @Benchmark
    public long groupState() {
        return group.state();
    }

    /** Returns a new Go object: a Java proxy plus Go-side reference tracking. */
    @Benchmark
    public ProcessorCounters processorCounters() {
        return processor.counters();
    }

    /** counters() plus one getter on it: two calls. */
    @Benchmark
    public long processorCountersEventsHandled() {
        return processor.counters().getEventsHandled();
    }

    /** A byte[] into Go (copied there) and a wake-up of the processor loop. */
    @Benchmark
    public void processorSubmit() throws Exception {
        processor.submit(payload);
    }
}
