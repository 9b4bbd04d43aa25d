package dev.nodekit;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Run in a child JVM by StopOnExitTest: registers a Group, then a worker
 * with StopOnExit, starts a 500 ms task on the worker and returns from main.
 * The hook closes the worker first (= shutdown(), which waits for the pending
 * task), then the group, whose stop hook prints whether the worker process
 * is gone and the task's result (ok: it was awaited, not killed).
 */
public final class WorkerStopOnExitProbe {
    public static void main(String[] args) throws Exception {
        BlockingQueue<String> result = new LinkedBlockingQueue<>();
        WorkerConfig c = Nodekit.newWorkerConfig(args[0]);
        c.setDiscardStderr(true);
        Group g = StopOnExit.register(new Group());
        Worker w = StopOnExit.register(Nodekit.startWorker(c, null)); // registered last: closed first
        long pid = w.pid();
        g.add("report", new Service() {
            @Override
            public void start() {}

            @Override
            public void stop() throws InterruptedException {
                System.out.println("worker alive: " + ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
                System.out.println("task: " + result.poll(10, TimeUnit.SECONDS));
            }
        });
        NodekitException.check(g.start());
        w.runAsync("sleep", "500ms".getBytes(), new TaskCallback() {
            @Override
            public void onProgress(byte[] update) {}

            @Override
            public void onResult(TaskResult r) {
                result.add(r.isOk() ? new String(r.output()) : Kind.of(r.kind()) + ": " + r.message());
            }
        });
        System.out.println("main returns");
    }
}
