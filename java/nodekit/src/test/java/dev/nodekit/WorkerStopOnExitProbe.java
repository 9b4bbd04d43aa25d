package dev.nodekit;

/**
 * Run in a child JVM by StopOnExitTest: registers a worker with StopOnExit,
 * starts a 500 ms task and returns from main. The shutdown hook's close()
 * (= shutdown()) waits for the pending task, so its result is printed before
 * the JVM is gone; without the hook the JVM would exit first.
 */
public final class WorkerStopOnExitProbe {
    public static void main(String[] args) throws Exception {
        WorkerConfig c = Nodekit.newWorkerConfig(args[0]);
        c.setDiscardStderr(true);
        Worker w = StopOnExit.register(Nodekit.startWorker(c, null));
        System.out.println("worker " + w.pid());
        w.runAsync("sleep", "500ms".getBytes(), new TaskCallback() {
            @Override
            public void onProgress(byte[] update) {}

            @Override
            public void onResult(TaskResult r) {
                System.out.println("task: " + (r.isOk() ? new String(r.output()) : r.message()));
            }
        });
        System.out.println("main returns");
    }
}
