package dev.nodekit.jvm;

import dev.nodekit.Event;
import dev.nodekit.Group;
import dev.nodekit.Nodekit;
import dev.nodekit.Result;
import dev.nodekit.Service;
import java.util.concurrent.TimeUnit;

/**
 * Run in a child JVM by JvmExitTest: uses the bindings, including Go threads
 * calling back into Java (which attaches them to the JVM), then returns from
 * main. Without AttachCurrentThreadAsDaemon those Go threads would be
 * non-daemon JVM threads and this JVM would never exit; without
 * NativeLoader's shutdown hook they would still be attached when it ends.
 *
 * <p>Prints "attached=N" (Go threads attached when main returns) and, from a
 * shutdown hook of its own that waits for NativeLoader's, "after hook
 * detached=N leftAttached=M rounds=R".
 */
public final class ExitProbe {
    public static void main(String[] args) throws Exception {
        System.out.println(Nodekit.version());

        // Go -> Java callbacks from Go-created threads, from several Java threads
        // at once so that several Go threads call back.
        Thread[] callers = new Thread[4];
        Result[] last = new Result[2];
        for (int t = 0; t < callers.length; t++) {
            callers[t] = new Thread(() -> {
                for (int i = 0; i < 200; i++) {
                    Group g = new Group();
                    g.observe(0, Event.observer(e -> {}));
                    try {
                        g.add("probe", new Service() {
                            @Override
                            public void start() {}

                            @Override
                            public void stop() {}
                        });
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    Result started = g.start(), stopped = g.stop();
                    synchronized (last) {
                        last[0] = started;
                        last[1] = stopped;
                    }
                }
            });
            callers[t].start();
        }
        for (Thread t : callers) {
            t.join();
        }
        System.out.println("group " + last[0].isOk() + " " + last[1].isOk());

        // A Java GC wakes the GC sentinel, whose burst of Go GCs runs Go
        // finalizers that call into Java: wait until the burst has run, so that
        // its threads exist and the hook must deal with them too.
        long cycles = GcSentinel.gcCycles();
        System.gc();
        if (!GcSentinel.awaitBurst(cycles + 1, 20, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the GC sentinel did not run after System.gc()");
        }
        System.out.println("attached=" + NativeLoader.attachedThreads());

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                int[] r = NativeLoader.awaitRelease(20, TimeUnit.SECONDS);
                System.out.println(r == null ? "after hook: timed out"
                        : "after hook detached=" + r[0] + " leftAttached=" + r[1] + " rounds=" + r[2]);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "exit-probe-report"));
        // Returning here must end the JVM: every helper thread is a daemon thread.
    }
}
