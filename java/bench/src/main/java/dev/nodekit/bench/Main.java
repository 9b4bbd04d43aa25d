package dev.nodekit.bench;

import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * JMH's own command line (same options as org.openjdk.jmh.Main), plus a
 * summary after JMH's table: the figures next to their baselines and the
 * targets of docs/architecture.md ("Targets"), with the ratios worked out.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        CommandLineOptions cmd;
        try {
            cmd = new CommandLineOptions(args);
        } catch (CommandLineOptionException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
            return;
        }
        Runner runner = new Runner(cmd);
        if (cmd.shouldHelp()) {
            cmd.showHelp();
            return;
        }
        if (cmd.shouldList()) {
            runner.list();
            return;
        }
        if (cmd.shouldListProfilers()) {
            cmd.listProfilers();
            return;
        }
        Collection<RunResult> results;
        try {
            results = runner.run();
        } catch (RunnerException e) {
            System.err.println("error: " + e.getMessage());
            e.printStackTrace();
            System.exit(1);
            return;
        }
        new Summary(results).print();
    }

    /** The summary: one section per benchmark class, only for what ran. */
    static final class Summary {
        private final Map<String, Result<?>> byName = new HashMap<>();

        Summary(Collection<RunResult> results) {
            for (RunResult r : results) {
                String full = r.getParams().getBenchmark(); // dev.nodekit.bench.Class.method
                String[] parts = full.split("\\.");
                String size = r.getParams().getParam("payloadBytes");
                if (size != null && !size.equals("16")) {
                    continue; // the summary compares the default runs; JMH's table has the rest
                }
                String handles = r.getParams().getParam("handles");
                byName.put(parts[parts.length - 2] + "." + parts[parts.length - 1] + (handles == null ? "" : ":" + handles),
                        r.getPrimaryResult());
            }
        }

        private Result<?> get(String name) {
            return byName.get(name);
        }

        private static String fmt(Result<?> r) {
            double s = r.getScore();
            double e = r.getScoreError();
            String err = Double.isNaN(e) ? "n/a" : num(e);
            return String.format("%12s ± %-10s %s", num(s), err, r.getScoreUnit());
        }

        private static String num(double v) {
            if (Math.abs(v) >= 1e6) {
                return String.format("%,.0f", v);
            }
            if (Math.abs(v) >= 100) {
                return String.format("%,.0f", v);
            }
            return String.format("%.2f", v);
        }

        private static void line(String label, Result<?> r, String note) {
            System.out.printf("  %-44s %s%s%n", label, fmt(r), note.isEmpty() ? "" : "   " + note);
        }

        void print() {
            System.out.println();
            System.out.println("== nodekit JVM benchmarks: summary ("
                    + Runtime.getRuntime().availableProcessors() + " CPUs, Java " + System.getProperty("java.version") + ")");

            Result<?> base = get("CallBench.baselineJavaStaticString");
            String[][] calls = {
                    {"CallBench.nodekitVersion", "Nodekit.version()  [String return]"},
                    {"CallBench.groupState", "group.state()  [method on a Go object]"},
                    {"CallBench.processorSubmit", "processor.submit(new byte[16])"},
                    {"CallBench.processorCounters", "processor.counters()  [new Go object]"},
                    {"CallBench.processorCountersEventsHandled", "processor.counters().getEventsHandled()"},
            };
            if (base != null || get(calls[0][0]) != null) {
                System.out.println("Java→Go calls (target ≤ 1 µs per call):");
                if (base != null) {
                    line("plain Java static call (baseline)", base, "");
                }
                for (String[] c : calls) {
                    Result<?> r = get(c[0]);
                    if (r != null) {
                        String note = base == null ? "" : String.format("%.0f× the Java call", r.getScore() / base.getScore());
                        line(c[1], r, note);
                    }
                }
                Result<?> v = get("CallBench.nodekitVersion");
                if (v != null) {
                    System.out.printf("  -> Java→Go call: %.2f µs (version()): target ≤ 1 µs %s%n",
                            v.getScore() / 1000, v.getScore() <= 1000 ? "MET" : "NOT MET");
                }
            }

            Result<?> abq = get("EventsBench.baselineArrayBlockingQueue");
            Result<?> proc = get("EventsBench.processorSubmitToJavaHandler");
            Result<?> backlog = get("EventsBench.processorBacklogToJavaHandler");
            if (abq != null || proc != null || backlog != null) {
                System.out.println("Events to a Java handler (target ≥ 500,000 events/s):");
                if (abq != null) {
                    line("ArrayBlockingQueue + Java thread (baseline)", abq,
                            String.format("%.3f µs/event", 1e6 / abq.getScore()));
                }
                if (proc != null) {
                    line("processor.submit → Java handler", proc, String.format("%.2f µs/event%s",
                            1e6 / proc.getScore(),
                            abq == null ? "" : String.format(", %.1f%% of the baseline (1/%.0f)",
                                    100 * proc.getScore() / abq.getScore(), abq.getScore() / proc.getScore())));
                }
                if (backlog != null) {
                    line("Go→Java only (queued events drained)", backlog,
                            String.format("%.2f µs per Go→Java call", 1e6 / backlog.getScore()));
                }
                if (proc != null) {
                    System.out.printf("  -> %,.0f events/s to a Java handler: target ≥ 500,000 %s%n",
                            proc.getScore(), proc.getScore() >= 500_000 ? "MET" : "NOT MET");
                }
            }

            for (String n : new String[] {"1", "64"}) {
                Result<?> blocking = get("StopBench.blockingStop:" + n);
                if (blocking == null) {
                    continue;
                }
                int handles = Integer.parseInt(n);
                System.out.println("Stopping " + n + " processor(s) (µs per processor, ratio to blocking stop() in a loop):");
                String[][] variants = {
                        {"StopBench.blockingStop:" + n, "stop(), one after the other (baseline)"},
                        {"StopBench.blockingStopOnThreads:" + n, "stop(), one pool thread per processor"},
                        {"StopBench.suspendStop:" + n, "awaitStop(), one coroutine each, one thread"},
                };
                for (String[] v : variants) {
                    Result<?> r = get(v[0]);
                    if (r != null) {
                        System.out.printf("  %-44s %10.2f µs   %.2f×%n", v[1], r.getScore() / handles, r.getScore() / blocking.getScore());
                    }
                }
            }

            Result<?> none = get("GroupBench.nullServices");
            Result<?> obs = get("GroupBench.nullServicesCountingObserver");
            Result<?> svc = get("GroupBench.javaServices");
            Result<?> both = get("GroupBench.javaServicesCountingObserver");
            Result<?> batch = get("GroupBench.nullServicesBatchObserver");
            Result<?> bothBatch = get("GroupBench.javaServicesBatchObserver");
            if (none != null || obs != null || svc != null || both != null || batch != null || bothBatch != null) {
                System.out.println("Group built, started and stopped from Java, per service (" + GroupBench.SERVICES + " per group):");
                if (none != null) {
                    line("services without hooks, no observer", none, "");
                }
                if (obs != null) {
                    line("+ an observer counting events", obs, none == null ? ""
                            : String.format("(%.2f µs per observer callback, 4 events per service)",
                            (obs.getScore() - none.getScore()) / 4 / 1000));
                }
                if (batch != null) {
                    line("+ a BatchObserver instead (one call a batch)", batch, none == null ? ""
                            : String.format("(%.2f µs per event more than no observer)",
                            (batch.getScore() - none.getScore()) / 4 / 1000));
                }
                if (svc != null) {
                    line("Java services, empty start()/stop()", svc, none == null ? ""
                            : String.format("(%.2f µs per start()/stop() callback)",
                            (svc.getScore() - none.getScore()) / 2 / 1000));
                }
                for (Result<?> r : new Result<?>[] {both, bothBatch}) {
                    if (r != null) {
                        double us = r.getScore() / 1000;
                        line(r == both ? "Java services + an observer" : "Java services + a BatchObserver", r,
                                String.format("target ≤ 8 µs: %s", us <= 8 ? "met" : "NOT met"));
                    }
                }
            }
        }
    }
}
