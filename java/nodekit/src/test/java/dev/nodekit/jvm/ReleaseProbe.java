package dev.nodekit.jvm;

import dev.nodekit.Group;
import dev.nodekit.Service;
import java.lang.management.ManagementFactory;

/**
 * Run in a child JVM by JvmExitTest (releaseThreads turns Go's GC off, so not
 * in the test JVM): makes Go threads call into Java (which attaches them to
 * the JVM), then calls what the shutdown hook calls and prints how many Go
 * threads it detached and how many JVM threads went away.
 */
public final class ReleaseProbe {
    public static void main(String[] args) throws Exception {
        Thread[] callers = new Thread[4];
        for (int t = 0; t < callers.length; t++) { // several at once: several Go threads call back
            callers[t] = new Thread(() -> {
                for (int i = 0; i < 500; i++) {
                    Group g = new Group();
                    g.observe(0, (service, from, to, nanos, err, kind, at) -> {});
                    try {
                        g.add("s", new Service() {
                            @Override
                            public void start() {}

                            @Override
                            public void stop() {}
                        });
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    g.start();
                    g.stop();
                }
            });
            callers[t].start();
        }
        for (Thread t : callers) {
            t.join();
        }
        int before = ManagementFactory.getThreadMXBean().getThreadCount();
        int detached = NativeLoader.releaseThreads();
        int after = ManagementFactory.getThreadMXBean().getThreadCount();
        System.out.println("detached=" + detached + " jvmThreadsGone=" + (before - after));
    }
}
