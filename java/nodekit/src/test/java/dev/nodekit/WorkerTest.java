package dev.nodekit;

import static dev.nodekit.TestSupport.WAIT_SECONDS;
import static dev.nodekit.TestSupport.bytes;
import static dev.nodekit.TestSupport.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Worker processes from Java, with real crashes: the worker executable is
 * examples/workerhost, which the jar's build puts at build/jvm/workerhost.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // hang guard only
class WorkerTest {
    /** The workerhost executable (system property nodekit.workerhost overrides). */
    static String workerhost() {
        Path p = Path.of(System.getProperty("nodekit.workerhost", "../../build/jvm/workerhost")).toAbsolutePath();
        assertTrue(Files.isExecutable(p), p + " is missing: build it with scripts/build-jvm.sh");
        return p.toString();
    }

    static WorkerConfig config() {
        WorkerConfig c = Nodekit.newWorkerConfig(workerhost());
        c.setDiscardStderr(true);
        return c;
    }

    /** Records a runAsync's progress updates and result. */
    static final class Recorder implements TaskCallback {
        final List<String> progress = new CopyOnWriteArrayList<>();
        final BlockingQueue<TaskResult> result = new LinkedBlockingQueue<>();
        final CountDownLatch firstProgress = new CountDownLatch(1);

        @Override
        public void onProgress(byte[] update) {
            progress.add(str(update));
            firstProgress.countDown();
        }

        @Override
        public void onResult(TaskResult r) {
            result.add(r);
        }

        TaskResult await() throws InterruptedException {
            return TestSupport.poll(result, "the task's result");
        }
    }

    @Test
    void runReturnsTheOutput() throws Exception {
        try (Worker w = Nodekit.startWorker(config(), null)) {
            assertEquals("cba", str(w.run("reverse", bytes("abc"))));
            assertTrue(w.pid() > 0);
        }
    }

    @Test
    void aSegfaultIsAnExceptionWithTheCrash() throws Exception {
        Worker w = Nodekit.startWorker(config(), null);
        long pid = w.pid();
        NodekitException e = assertThrows(NodekitException.class, () -> w.run("segv", null));
        assertEquals(Kind.WORKER_CRASHED, e.kind());
        CrashInfo crash = Nodekit.crashInfoOf(e);
        assertNotNull(crash);
        assertEquals(pid, crash.pid());
        assertEquals(2, crash.exitCode());
        assertTrue(crash.panic().contains("unexpected fault address"), crash.panic());
        assertTrue(crash.stack().contains("goroutine"), crash.stack());
        assertEquals("segv", crash.inFlight());
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        assertEquals(Kind.ILLEGAL_STATE, assertThrows(NodekitException.class, () -> w.run("echo", null)).kind());
        assertEquals(Nodekit.KindWorkerCrashed, w.shutdown().kind());
    }

    @Test
    void aPanicKeepsTheWorker() throws Exception {
        try (Worker w = Nodekit.startWorker(config(), null)) {
            NodekitException e = assertThrows(NodekitException.class, () -> w.run("panic", bytes("x")));
            assertEquals(Kind.TASK_PANIC, e.kind());
            assertTrue(e.getMessage().contains("panic on purpose"), e.getMessage());
            assertEquals("still here", str(w.run("echo", bytes("still here"))));
            assertEquals(Kind.TASK_FAILED, assertThrows(NodekitException.class, () -> w.run("fail", bytes("no"))).kind());
            assertEquals(Kind.UNKNOWN_TASK, assertThrows(NodekitException.class, () -> w.run("nope", null)).kind());
        }
    }

    @Test
    void exitCodeAndStderrTail() throws Exception {
        Worker w = Nodekit.startWorker(config(), null);
        NodekitException e = assertThrows(NodekitException.class, () -> w.run("exit", bytes("3")));
        CrashInfo crash = Nodekit.crashInfoOf(e);
        assertEquals(3, crash.exitCode());
        assertEquals(0, crash.signal());
        assertTrue(crash.stderr().contains("exiting with code 3 on purpose"), crash.stderr());
        w.shutdown();
    }

    @Test
    void killedFromOutsideFailsTheAsyncRun() throws Exception {
        Worker w = Nodekit.startWorker(config(), null);
        Recorder rec = new Recorder();
        TaskHandle h = w.runAsync("block", null, rec);
        TestSupport.await(rec.firstProgress, "the task's \"started\""); // the task runs in the worker
        assertTrue(ProcessHandle.of(w.pid()).orElseThrow().destroyForcibly());
        TaskResult r = rec.await();
        assertTrue(h.await(WAIT_SECONDS * 1000));
        assertEquals(Nodekit.KindWorkerCrashed, r.kind());
        assertEquals(9, r.crash().signal());
        assertEquals(-1, r.crash().exitCode());
        assertEquals("block", r.crash().inFlight());
        w.shutdown();
    }

    @Test
    void progressThenResult() throws Exception {
        try (Worker w = Nodekit.startWorker(config(), null)) {
            Recorder rec = new Recorder();
            w.runAsync("progress", bytes("5"), rec);
            TaskResult r = rec.await();
            assertTrue(r.isOk(), r.message());
            assertEquals("done", str(r.output()));
            assertEquals("5", rec.progress.get(rec.progress.size() - 1));
        }
    }

    @Test
    void cancelEndsTheTask() throws Exception {
        try (Worker w = Nodekit.startWorker(config(), null)) {
            Recorder rec = new Recorder();
            TaskHandle h = w.runAsync("sleep", bytes("1h"), rec);
            h.cancel();
            assertEquals(Nodekit.KindCanceled, rec.await().kind());
            assertEquals("ok", str(w.run("echo", bytes("ok"))));
        }
    }

    @Test
    void aPoolReplacesCrashedWorkers() throws Exception {
        WorkerConfig c = config();
        c.setPoolSize(2);
        Worker pool = Nodekit.startWorkerPool(c, null);
        for (int i = 0; i < 3; i++) {
            NodekitException e = assertThrows(NodekitException.class, () -> pool.run("fatal", null));
            assertEquals(Kind.WORKER_CRASHED, e.kind());
            assertEquals("fatal error: concurrent map writes", Nodekit.crashInfoOf(e).panic().lines().findFirst().orElse(""));
            assertEquals("alive", str(pool.run("echo", bytes("alive"))));
        }
        Result r = pool.shutdown();
        assertTrue(r.isOk(), r.toString());
        assertEquals(Kind.ILLEGAL_STATE, assertThrows(NodekitException.class, () -> pool.run("echo", null)).kind());
    }

    @Test
    void badConfigurationsAreTyped() {
        assertEquals(Kind.WORKER_PATH,
                assertThrows(NodekitException.class, () -> Nodekit.startWorker(Nodekit.newWorkerConfig("/no/such/worker"), null)).kind());
        WorkerConfig c = config();
        c.setPoolSize(0);
        assertEquals(Kind.INVALID_ARGUMENT, assertThrows(NodekitException.class, () -> Nodekit.startWorkerPool(c, null)).kind());
    }

    @Test
    void payloadLimit() throws Exception {
        WorkerConfig c = config();
        c.setMaxPayloadBytes(1024);
        try (Worker w = Nodekit.startWorker(c, null)) {
            assertEquals(Kind.PAYLOAD_TOO_LARGE, assertThrows(NodekitException.class, () -> w.run("echo", new byte[1025])).kind());
            assertEquals(Kind.PAYLOAD_TOO_LARGE, assertThrows(NodekitException.class, () -> w.run("make", bytes("1025"))).kind());
            assertEquals(1024, w.run("echo", new byte[1024]).length);
        }
    }

    /** Starts a worker and returns its pid, keeping no reference to it. */
    private static long startAndDrop() throws Exception {
        return Nodekit.startWorker(config(), null).pid();
    }

    @Test
    void aDroppedWorkerIsShutDown() throws Exception {
        long pid = startAndDrop();
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty()) return; // already gone and reaped
        CompletableFuture<ProcessHandle> exited = process.get().onExit(); // completes when the process ends
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!exited.isDone()) {
            assertTrue(System.nanoTime() < deadline, "the dropped worker " + pid + " still runs");
            System.gc(); // each Java GC is followed by a Go GC, which shuts the dropped worker down
            try {
                exited.get(200, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // not yet: collect again
            }
        }
    }
}
