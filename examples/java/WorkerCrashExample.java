import dev.nodekit.CrashInfo;
import dev.nodekit.Kind;
import dev.nodekit.Nodekit;
import dev.nodekit.NodekitException;
import dev.nodekit.Worker;
import dev.nodekit.WorkerConfig;
import java.nio.charset.StandardCharsets;

/**
 * A pool of two worker processes in try-with-resources: a task segfaults in
 * its worker, the caller gets a NodekitException of kind WORKER_CRASHED with
 * the crash's details, and the pool replaces the worker and runs on.
 *
 * <pre>
 *   make demo-java-worker
 *   scripts/run-jvm-example.sh java WorkerCrashExample [path/to/workerhost]
 * </pre>
 *
 * The worker executable is examples/workerhost (built at build/jvm/workerhost).
 * Exits with status 1 if the crash is not reported as one.
 */
public final class WorkerCrashExample {
    public static void main(String[] args) throws Exception {
        WorkerConfig config = Nodekit.newWorkerConfig(args.length > 0 ? args[0] : "build/jvm/workerhost");
        config.setPoolSize(2);
        config.setDiscardStderr(true); // the crash keeps its stderr tail anyway
        try (Worker pool = Nodekit.startWorkerPool(config, null)) { // close() = shutdown()
            System.out.println("reverse: " + text(pool.run("reverse", bytes("nodekit"))));
            try {
                pool.run("segv", null);
                System.out.println("the segfault was not reported");
                System.exit(1);
            } catch (NodekitException e) {
                CrashInfo crash = Nodekit.crashInfoOf(e);
                System.out.println("caught " + e.kind() + ": worker " + crash.pid() + " exit code " + crash.exitCode()
                        + ", in flight: " + crash.inFlight());
                System.out.println("  " + crash.panic().lines().findFirst().orElse(""));
                if (e.kind() != Kind.WORKER_CRASHED) {
                    System.exit(1);
                }
            }
            System.out.println("after the crash: " + text(pool.run("echo", bytes("still serving"))));
        } catch (NodekitException e) {
            System.out.println("failed: " + e);
            System.exit(1);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return b == null ? "" : new String(b, StandardCharsets.UTF_8);
    }
}
