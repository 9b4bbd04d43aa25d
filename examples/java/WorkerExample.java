import dev.nodekit.CrashInfo;
import dev.nodekit.Kind;
import dev.nodekit.Nodekit;
import dev.nodekit.NodekitException;
import dev.nodekit.Worker;
import dev.nodekit.WorkerConfig;

import java.nio.charset.StandardCharsets;

/**
 * Tasks in worker processes that crash: a segfault and an os.Exit in a task are
 * exceptions here, with the worker's exit code, signal and panic report, and the
 * pool replaces the dead process. The worker executable is examples/workerhost,
 * which the jar's build puts at build/jvm/workerhost.
 *
 * <pre>
 *   scripts/run-jvm-example.sh java WorkerExample [path/to/workerhost]
 * </pre>
 *
 * Exits with status 1 if a crash is not reported as one.
 */
public final class WorkerExample {
    public static void main(String[] args) throws Exception {
        String path = args.length > 0 ? args[0] : "build/jvm/workerhost";
        WorkerConfig config = Nodekit.newWorkerConfig(path);
        config.setPoolSize(2);
        config.setDiscardStderr(true); // the crash report still has stderr's tail
        try (Worker pool = Nodekit.startWorkerPool(config, null)) { // close() = shutdown(): ok, dead workers were replaced
            byte[] out = pool.run("reverse", "stressed".getBytes(StandardCharsets.UTF_8));
            System.out.println("reverse: " + new String(out, StandardCharsets.UTF_8));
            for (String task : new String[] {"segv", "exit"}) {
                try {
                    pool.run(task, "7".getBytes(StandardCharsets.UTF_8));
                    System.err.println(task + ": no crash?");
                    System.exit(1);
                } catch (NodekitException e) {
                    if (e.kind() != Kind.WORKER_CRASHED) {
                        throw e;
                    }
                    CrashInfo c = Nodekit.crashInfoOf(e);
                    String panic = c.panic().isEmpty() ? "" : c.panic().lines().findFirst().orElse("");
                    System.out.printf("%s: worker %d died: exit code %d, signal %d %s%n",
                            task, c.pid(), c.exitCode(), c.signal(), panic);
                }
            }
            out = pool.run("echo", "still here".getBytes(StandardCharsets.UTF_8)); // a fresh process
            System.out.println("echo: " + new String(out, StandardCharsets.UTF_8));
        } catch (NodekitException e) { // startWorkerPool: a missing executable, a version mismatch, ...
            System.err.println("worker: " + e.kind() + ": " + e.getMessage());
            System.exit(1);
        }
    }
}
