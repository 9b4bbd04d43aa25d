package dev.nodekit.jvm;

import dev.nodekit.Group;
import dev.nodekit.Nodekit;
import dev.nodekit.Result;
import dev.nodekit.Service;

/**
 * Run in a child JVM by JvmExitTest: uses the bindings, including Go threads
 * calling back into Java (which attaches them to the JVM), then returns from
 * main. Without AttachCurrentThreadAsDaemon those Go threads would be
 * non-daemon JVM threads and this JVM would never exit.
 */
public final class ExitProbe {
    public static void main(String[] args) throws Exception {
        System.out.println(Nodekit.version());

        // Go -> Java callbacks from Go-created threads.
        Group g = new Group();
        g.observe(0, (service, from, to, nanos, err, kind, at) -> {});
        g.add("probe", new Service() {
            @Override
            public void start() {}

            @Override
            public void stop() {}
        });
        Result started = g.start();
        Result stopped = g.stop();
        System.out.println("group " + started.isOk() + " " + stopped.isOk());

        System.gc();
        Thread.sleep(700); // let the GC sentinel's burst run, so its threads exist
        // Returning here must end the JVM: every helper thread is a daemon thread.
    }
}
