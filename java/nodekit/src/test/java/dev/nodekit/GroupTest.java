package dev.nodekit;

import static dev.nodekit.TestSupport.WAIT_SECONDS;
import static dev.nodekit.TestSupport.await;
import static dev.nodekit.TestSupport.concurrently;
import static dev.nodekit.TestSupport.poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nodekit.TestSupport.RecordingService;
import dev.nodekit.TestSupport.Recorder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Group from Java: ordered start, reverse stop, Results, state errors, nulls, timeouts, stop from callbacks. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // hang guard only
class GroupTest {
    private static Group groupOf(Recorder calls, String... names) throws Exception {
        Group g = new Group();
        for (String n : names) {
            g.add(n, new RecordingService(n, calls));
        }
        return g;
    }

    @Test
    void startsInOrderAndStopsInExactReverse() throws Exception {
        Recorder calls = new Recorder();
        Group g = new Group();
        List<RecordingService> services = new ArrayList<>();
        for (String n : List.of("a", "b", "c", "d")) {
            RecordingService s = new RecordingService(n, calls);
            services.add(s);
            g.add(n, s);
        }
        assertEquals(Nodekit.StateNew, g.state());

        Result started = g.start();
        assertTrue(started.isOk(), started.toString());
        assertEquals(List.of("start a", "start b", "start c", "start d"), calls.snapshot());
        assertEquals(Nodekit.StateRunning, g.state());
        assertEquals(Nodekit.StateRunning, g.serviceState("c"));
        NodekitException unknown = assertThrows(NodekitException.class, () -> g.serviceState("no such service"));
        assertEquals(Kind.ILLEGAL_STATE, unknown.kind(), unknown.toString());
        for (RecordingService s : services) {
            assertNotSame(Thread.currentThread(), s.startThread, "hooks run on a background thread");
        }

        Result stopped = g.stop();
        assertTrue(stopped.isOk(), stopped.toString());
        assertEquals(List.of("start a", "start b", "start c", "start d", "stop d", "stop c", "stop b", "stop a"),
                calls.snapshot());
        assertEquals(Nodekit.StateStopped, g.state());
        assertEquals(Nodekit.StateStopped, g.serviceState("a"));
    }

    @Test
    void okResultHasKindZeroAnEmptyMessageAndPrintsOk() throws Exception {
        Group g = groupOf(new Recorder(), "a");
        for (Result r : List.of(g.start(), g.stop(), g.join())) {
            assertTrue(r.isOk());
            assertEquals(Nodekit.KindOK, r.kind());
            assertEquals(0L, r.kind());
            assertEquals("", r.message());
            assertEquals("ok", r.toString());
        }
    }

    @Test
    void throwingStartFailsTheGroupAndStopsTheStartedServicesInReverse() throws Exception {
        Recorder calls = new Recorder();
        Group g = new Group();
        g.add("a", new RecordingService("a", calls));
        g.add("b", new RecordingService("b", calls));
        RecordingService c = new RecordingService("c", calls);
        c.startFailure = new IOException("port 8080 in use");
        g.add("c", c);
        g.add("d", new RecordingService("d", calls));

        Result r = g.start();
        assertFalse(r.isOk());
        assertEquals(Nodekit.KindFailed, r.kind(), r.toString());
        assertTrue(r.message().contains("port 8080 in use"), r.message());
        assertTrue(r.message().contains("\"c\""), "the message names the service: " + r.message());
        assertEquals("kind " + Nodekit.KindFailed + ": " + r.message(), r.toString());
        assertEquals(List.of("start a", "start b", "start c", "stop b", "stop a"), calls.snapshot(),
                "started services stopped in reverse; d never started; c (failed) not stopped");
        assertEquals(Nodekit.StateFailed, g.state());
        assertEquals(Nodekit.StateNew, g.serviceState("d"));

        Result joined = g.join();
        assertEquals(r.kind(), joined.kind());
        assertEquals(r.message(), joined.message());
        Result stopped = g.stop();
        assertEquals(r.kind(), stopped.kind());
        assertEquals(r.message(), stopped.message());
    }

    @Test
    void joinReturnsTheSameResultEveryTime() throws Exception {
        Recorder calls = new Recorder();
        Group g = new Group();
        RecordingService a = new RecordingService("a", calls);
        a.stopFailure = new IllegalStateException("flush failed");
        g.add("a", a);
        assertTrue(g.start().isOk());

        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<Result>> joins = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                joins.add(pool.submit(g::join));
            }
            for (Future<Result> f : joins) {
                assertFalse(f.isDone(), "join() returned while the group was running");
            }
            Result stopped = g.stop();
            assertEquals(Nodekit.KindFailed, stopped.kind(), stopped.toString());
            assertTrue(stopped.message().contains("flush failed"), stopped.message());
            for (Future<Result> f : joins) {
                Result r = f.get(WAIT_SECONDS, TimeUnit.SECONDS);
                assertEquals(stopped.kind(), r.kind());
                assertEquals(stopped.message(), r.message());
            }
            for (int i = 0; i < 5; i++) {
                Result r = g.join();
                assertEquals(stopped.kind(), r.kind());
                assertEquals(stopped.message(), r.message());
                assertEquals(stopped.toString(), r.toString());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of("start a", "stop a"), calls.snapshot());
    }

    @Test
    void stopIsIdempotentAndSafeFromManyThreadsAtOnce() throws Exception {
        Recorder calls = new Recorder();
        Group g = groupOf(calls, "a", "b");
        assertTrue(g.start().isOk());

        for (Result r : concurrently(8, g::stop)) {
            assertTrue(r.isOk(), r.toString());
        }
        assertTrue(g.stop().isOk(), "stop() again");
        assertTrue(g.join().isOk());
        assertEquals(List.of("start a", "start b", "stop b", "stop a"), calls.snapshot(), "each hook ran once");
    }

    @Test
    void concurrentStopsOfAFailingStopAllGetTheSameResult() throws Exception {
        Recorder calls = new Recorder();
        Group g = new Group();
        RecordingService a = new RecordingService("a", calls);
        a.stopFailure = new IOException("socket close failed");
        g.add("a", a);
        assertTrue(g.start().isOk());

        List<Result> stops = concurrently(6, g::stop);
        Result first = stops.get(0);
        assertEquals(Nodekit.KindFailed, first.kind(), first.toString());
        assertTrue(first.message().contains("socket close failed"), first.message());
        for (Result r : stops) {
            assertEquals(first.kind(), r.kind());
            assertEquals(first.message(), r.message());
        }
        assertEquals(List.of("start a", "stop a"), calls.snapshot());
    }

    @Test
    void joinBeforeStartIsIllegalState() {
        Group g = new Group();
        Result r = g.join();
        assertFalse(r.isOk());
        assertEquals(Nodekit.KindIllegalState, r.kind(), r.toString());
        assertNotEquals("", r.message());
        assertEquals(Nodekit.StateNew, g.state());
    }

    @Test
    void startTwiceIsIllegalState() throws Exception {
        Recorder calls = new Recorder();
        Group g = groupOf(calls, "a");
        assertTrue(g.start().isOk());
        Result again = g.start();
        assertFalse(again.isOk());
        assertEquals(Nodekit.KindIllegalState, again.kind(), again.toString());
        assertTrue(g.stop().isOk());
        assertEquals(Nodekit.KindIllegalState, g.start().kind(), "a stopped group does not start again");
        assertEquals(List.of("start a", "stop a"), calls.snapshot());
    }

    @Test
    void stopBeforeStartIsOkAndTheGroupCanNoLongerStart() throws Exception {
        Recorder calls = new Recorder();
        Group g = groupOf(calls, "a");
        assertTrue(g.stop().isOk());
        assertEquals(Nodekit.KindIllegalState, g.start().kind());
        assertTrue(g.join().isOk());
        assertEquals(List.of(), calls.snapshot());
    }

    @Test
    void addThrowsForADuplicateNameAndAfterStart() throws Exception {
        Group g = new Group();
        g.add("a", null);
        Exception dup = assertThrows(Exception.class, () -> g.add("a", null));
        assertTrue(dup.getMessage().contains("duplicate"), dup.getMessage());
        assertTrue(g.start().isOk());
        Exception late = assertThrows(Exception.class, () -> g.add("b", null));
        assertTrue(late.getMessage().contains("already started"), late.getMessage());
        assertTrue(g.stop().isOk());
    }

    @Test
    void nullServiceObserverLoggerAndOptionsAreAccepted() throws Exception {
        Recorder calls = new Recorder();
        Group g = new Group();
        g.setLogger(null);
        g.observe(5, null);
        g.add("no-hooks", null);
        g.addWithOptions("no-hooks-no-options", null, null);
        g.addWithOptions("hooks-no-options", new RecordingService("h", calls), null);
        g.observe(7, null); // after the first add too
        Result r = g.start();
        assertTrue(r.isOk(), r.toString());
        assertEquals(Nodekit.StateRunning, g.serviceState("no-hooks"));
        assertTrue(g.stop().isOk());
        assertEquals(List.of("start h", "stop h"), calls.snapshot());
    }

    @Test
    void stopFromInsideAStartHookDoesNotDeadlock() throws Exception {
        Recorder calls = new Recorder();
        Group g = new Group();
        BlockingQueue<Result> fromHook = new LinkedBlockingQueue<>();
        g.add("a", new RecordingService("a", calls) {
            @Override
            public void start() throws Exception {
                super.start();
                fromHook.add(g.stop()); // must return: the stop it requests waits for this hook
            }
        });
        g.add("b", new RecordingService("b", calls));

        Result started = g.start();
        Result inHook = poll(fromHook, "stop() inside start()");
        assertEquals(Nodekit.KindCalledFromCallback, inHook.kind(), inHook.toString()); // requested, not waited for
        assertEquals(Nodekit.KindCanceled, started.kind(), started.toString());
        assertTrue(g.join().isOk());
        assertEquals(List.of("start a", "stop a"), calls.snapshot(), "b never started");
    }

    @Test
    void stopTimeoutIsReportedAndNamesTheService() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch stopReturned = new CountDownLatch(1);
        Group g = new Group();
        ServiceOptions o = new ServiceOptions();
        o.setStopTimeoutMillis(50);
        g.addWithOptions("wedged", new Service() {
            @Override
            public void start() {}

            @Override
            public void stop() throws InterruptedException {
                try {
                    release.await();
                } finally {
                    stopReturned.countDown();
                }
            }
        }, o);
        g.add("fine", null);
        try {
            assertTrue(g.start().isOk());
            Result r = g.stop();
            assertFalse(r.isOk());
            assertEquals(Nodekit.KindStopTimeout, r.kind(), r.toString());
            assertTrue(r.message().contains("wedged"), r.message());
            assertEquals(r.message(), g.join().message());
        } finally {
            release.countDown();
        }
        await(stopReturned, "the released stop hook returning");
    }

    @Test
    void groupStopTimeoutBoundsTheWholeStop() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Group g = new Group();
        g.setStopTimeoutMillis(50);
        g.add("stuck", new Service() {
            @Override
            public void start() {}

            @Override
            public void stop() throws InterruptedException {
                release.await();
            }
        });
        try {
            assertTrue(g.start().isOk());
            Result r = g.stop();
            assertEquals(Nodekit.KindStopTimeout, r.kind(), r.toString());
            assertTrue(r.message().contains("stuck"), r.message());
        } finally {
            release.countDown();
        }
    }

    @Test
    void serviceWithRestartOptionsStartsAndStops() throws Exception {
        Recorder calls = new Recorder();
        Group g = new Group();
        ServiceOptions o = Nodekit.newServiceOptions();
        assertFalse(o.getRestart());
        o.setStartTimeoutMillis(5_000);
        o.setStopTimeoutMillis(5_000);
        o.setRestart(true);
        o.setRestartBackoffMillis(1);
        o.setRestartMaxFailures(3);
        o.setRestartWindowMillis(60_000);
        g.addWithOptions("a", new RecordingService("a", calls), o);
        assertTrue(g.start().isOk());
        assertEquals(Nodekit.StateRunning, g.serviceState("a"));
        assertTrue(g.stop().isOk());
        assertEquals(List.of("start a", "stop a"), calls.snapshot());
    }

    @Test
    void restartDoesNotRetryAServiceThatNeverRan() throws Exception {
        // A failure before the service was ever running is not restarted: the
        // start fails at once, with the hook's exception.
        Recorder calls = new Recorder();
        Group g = new Group();
        ServiceOptions o = new ServiceOptions();
        o.setRestart(true);
        o.setRestartBackoffMillis(1);
        RecordingService a = new RecordingService("a", calls);
        a.startFailure = new IllegalStateException("no config");
        g.addWithOptions("a", a, o);
        Result r = g.start();
        assertEquals(Nodekit.KindFailed, r.kind(), r.toString());
        assertTrue(r.message().contains("no config"), r.message());
        assertEquals(List.of("start a"), calls.snapshot());
    }

    @Test
    void startTimeoutIsItsOwnKind() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Group g = new Group();
        ServiceOptions o = new ServiceOptions();
        o.setStartTimeoutMillis(50);
        // The hook cannot be interrupted: after the start timeout the group waits
        // for it up to the stop timeout, so keep that short too.
        o.setStopTimeoutMillis(50);
        g.addWithOptions("slow", new Service() {
            @Override
            public void start() throws InterruptedException {
                release.await();
            }

            @Override
            public void stop() {}
        }, o);
        try {
            Result r = g.start();
            assertEquals(Nodekit.KindStartTimeout, r.kind(), r.toString());
            assertTrue(r.message().contains("slow"), r.message());
        } finally {
            release.countDown();
        }
    }

    @Test
    void runtimeExceptionFromStopIsReportedNotThrown() throws Exception {
        AtomicInteger stops = new AtomicInteger();
        Group g = new Group();
        g.add("a", new Service() {
            @Override
            public void start() {}

            @Override
            public void stop() {
                stops.incrementAndGet();
                throw new UnsupportedOperationException("cannot stop");
            }
        });
        assertTrue(g.start().isOk());
        Result r = g.stop();
        assertEquals(Nodekit.KindFailed, r.kind(), r.toString());
        assertTrue(r.message().contains("cannot stop"), r.message());
        assertEquals(1, stops.get());
    }

    @Test
    void stopFromInsideAStopHookReturns() throws Exception {
        Recorder calls = new Recorder();
        BlockingQueue<Result> fromHook = new LinkedBlockingQueue<>();
        Group g = new Group();
        g.add("a", new RecordingService("a", calls));
        g.add("b", new RecordingService("b", calls) {
            @Override
            public void stop() throws Exception {
                super.stop();
                fromHook.add(g.stop());
            }
        });
        assertTrue(g.start().isOk());
        Result r = g.stop();
        assertTrue(r.isOk(), r.toString());
        Result inHook = poll(fromHook, "stop() inside stop()");
        assertEquals(Nodekit.KindCalledFromCallback, inHook.kind(), inHook.toString());
        assertEquals(List.of("start a", "start b", "stop b", "stop a"), calls.snapshot());
    }
}
