package dev.nodekit;

import static dev.nodekit.TestSupport.poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nodekit.TestSupport.QueueLogger;
import dev.nodekit.TestSupport.RecordingService;
import dev.nodekit.TestSupport.Recorder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Observers from Java: priority order, in-order delivery, event contents, failures, stop() from an observer. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // hang guard only
class ObserverTest {

    static String label(Event e) {
        return e.getService() + ":" + Nodekit.stateName(e.getTo());
    }

    @Test
    void startEventsGoHighToLowPriorityAndStopEventsLowToHigh() throws Exception {
        Recorder seen = new Recorder();
        Group g = new Group();
        // Registered out of priority order on purpose.
        for (long priority : new long[] {20, 200, 100}) {
            g.observe(priority, Event.observer(e -> seen.add(priority + " " + label(e))));
        }
        g.add("a", null);
        assertTrue(g.start().isOk());
        assertTrue(g.stop().isOk());
        seen.await("200 a:Stopped");
        assertEquals(List.of(
                "200 a:Starting", "100 a:Starting", "20 a:Starting",
                "200 a:Running", "100 a:Running", "20 a:Running",
                "20 a:Stopping", "100 a:Stopping", "200 a:Stopping",
                "20 a:Stopped", "100 a:Stopped", "200 a:Stopped"), seen.snapshot());
    }

    @Test
    void equalPrioritiesKeepRegistrationOrder() throws Exception {
        Recorder seen = new Recorder();
        Group g = new Group();
        g.observe(1, Event.observer(e -> seen.add("first " + label(e))));
        g.observe(1, Event.observer(e -> seen.add("second " + label(e))));
        g.add("a", null);
        assertTrue(g.start().isOk());
        assertTrue(g.stop().isOk());
        seen.await("first a:Stopped");
        assertEquals(List.of(
                "first a:Starting", "second a:Starting", "first a:Running", "second a:Running",
                "second a:Stopping", "first a:Stopping", "second a:Stopped", "first a:Stopped"), seen.snapshot());
    }

    @Test
    void eventsArriveInOrderOneAtATimeWithTheirFields() throws Exception {
        List<Event> events = new ArrayList<>();
        BlockingQueue<String> done = new LinkedBlockingQueue<>();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        Thread testThread = Thread.currentThread();
        Group g = new Group();
        g.observe(0, Event.observer(e -> {
            if (inFlight.incrementAndGet() != 1) {
                overlaps.incrementAndGet();
            }
            synchronized (events) {
                events.add(e);
                threads.add(Thread.currentThread());
            }
            if (label(e).equals("a:Stopped")) {
                done.add("done");
            }
            inFlight.decrementAndGet();
        }));
        for (String n : List.of("a", "b", "c")) {
            g.add(n, null);
        }
        long before = System.currentTimeMillis() * 1_000_000L;
        assertTrue(g.start().isOk());
        assertTrue(g.stop().isOk());
        poll(done, "the last event");
        long after = System.currentTimeMillis() * 1_000_000L + 1_000_000L;

        List<String> labels = new ArrayList<>();
        synchronized (events) {
            for (Event e : events) {
                labels.add(label(e));
            }
            assertEquals(List.of(
                    "a:Starting", "a:Running", "b:Starting", "b:Running", "c:Starting", "c:Running",
                    "c:Stopping", "c:Stopped", "b:Stopping", "b:Stopped", "a:Stopping", "a:Stopped"), labels);
            long prevAt = 0;
            for (Event e : events) {
                long to = e.getTo();
                long expectedFrom = to == Nodekit.StateStarting ? Nodekit.StateNew : to - 1;
                assertEquals(expectedFrom, e.getFrom(), "from of " + e);
                assertEquals(to == Nodekit.StateStarting || to == Nodekit.StateRunning, e.isStart(), "isStart of " + e);
                assertEquals("", e.getError());
                assertEquals(Nodekit.KindOK, e.getErrorKind());
                assertTrue(e.getDurationNanos() >= 0, "duration of " + e);
                assertTrue(e.getAtUnixNanos() >= before && e.getAtUnixNanos() <= after, "time of " + e);
                assertTrue(e.getAtUnixNanos() >= prevAt, "events in time order: " + e);
                prevAt = e.getAtUnixNanos();
            }
            for (Thread t : threads) {
                assertNotSame(testThread, t, "observers are called on a background thread");
            }
        }
        assertEquals(0, overlaps.get(), "an observer was called while it was still busy");
    }

    @Test
    void aFailedServiceEventCarriesTheErrorAndItsKind() throws Exception {
        BlockingQueue<Event> failed = new LinkedBlockingQueue<>();
        Group g = new Group();
        g.observe(0, Event.observer(e -> {
            if (e.getTo() == Nodekit.StateFailed) {
                failed.add(e);
            }
        }));
        RecordingService s = new RecordingService("db", new Recorder());
        s.startFailure = new IOException("no disk");
        g.add("db", s);
        Result r = g.start();
        assertEquals(Nodekit.KindFailed, r.kind());
        Event e = poll(failed, "the Failed event");
        assertEquals("db", e.getService());
        assertEquals(Nodekit.StateStarting, e.getFrom());
        assertTrue(e.getError().contains("no disk"), e.getError());
        assertEquals(Nodekit.KindFailed, e.getErrorKind());
        assertFalse(e.isStart());
    }

    @Test
    void anObserverThatThrowsOnAStopEventIsIsolatedAndLogged() throws Exception {
        QueueLogger log = new QueueLogger();
        Recorder seen = new Recorder();
        Recorder calls = new Recorder();
        Group g = new Group();
        g.setLogger(log);
        g.observe(200, Event.observer(e -> seen.add("200 " + label(e))));
        g.observe(100, Event.observer(e -> {
            if (e.getTo() == Nodekit.StateStopping) {
                throw new IllegalStateException("observer broke");
            }
        }));
        g.observe(20, Event.observer(e -> seen.add("20 " + label(e))));
        g.add("a", new RecordingService("a", calls));

        assertTrue(g.start().isOk());
        Result r = g.stop();
        assertTrue(r.isOk(), "a failing stop-event observer does not fail the group: " + r);
        assertTrue(g.join().isOk());
        assertEquals(List.of("start a", "stop a"), calls.snapshot());

        TestSupport.LogLine line = log.await(Nodekit.LevelError, "observer failed", "observer broke");
        assertTrue(line.message().contains("priority=100"), line.message());
        seen.await("200 a:Stopped");
        assertTrue(seen.snapshot().containsAll(List.of("20 a:Stopping", "200 a:Stopping")),
                "the other observers still got the event: " + seen.snapshot());
    }

    @Test
    void anObserverThatThrowsOnAStopEventWithoutALoggerIsStillIsolated() throws Exception {
        Group g = new Group();
        g.observe(0, Event.observer(e -> {
            if (!e.isStart()) {
                throw new RuntimeException("ignored");
            }
        }));
        g.add("a", null);
        assertTrue(g.start().isOk());
        assertTrue(g.stop().isOk());
    }

    @Test
    void anObserverThatThrowsOnAStartEventAbortsTheGroup() throws Exception {
        Recorder calls = new Recorder();
        Group g = new Group();
        g.observe(1, Event.observer(e -> {
            if (e.getService().equals("b") && e.getTo() == Nodekit.StateRunning) {
                throw new IllegalStateException("not today");
            }
        }));
        g.add("a", new RecordingService("a", calls));
        g.add("b", new RecordingService("b", calls));
        g.add("c", new RecordingService("c", calls));

        Result r = g.start();
        if (r.isOk()) {
            // The veto is delivered asynchronously; it may land just after start() returned.
            r = g.join();
        }
        assertEquals(Nodekit.KindAborted, r.kind(), r.toString());
        assertTrue(r.message().contains("not today"), r.message());
        Result joined = g.join();
        assertEquals(r.kind(), joined.kind());
        assertEquals(r.message(), joined.message());
        List<String> got = calls.snapshot();
        // c may or may not have started before the veto landed; either way every
        // started service was stopped, in reverse.
        List<String> withoutC = List.of("start a", "start b", "stop b", "stop a");
        List<String> withC = List.of("start a", "start b", "start c", "stop c", "stop b", "stop a");
        assertTrue(got.equals(withoutC) || got.equals(withC), got.toString());
    }

    @Test
    void stopFromInsideAnObserverReturnsAtOnceAndEndsTheGroup() throws Exception {
        BlockingQueue<Result> fromObserver = new LinkedBlockingQueue<>();
        Recorder calls = new Recorder();
        Group g = new Group();
        g.observe(0, Event.observer(e -> {
            if (e.getService().equals("a") && e.getTo() == Nodekit.StateRunning) {
                fromObserver.add(g.stop());
            }
        }));
        g.add("a", new RecordingService("a", calls));
        g.start(); // ok or cancelled, depending on when the observer runs
        Result inObserver = poll(fromObserver, "stop() inside the observer returning");
        assertEquals(Nodekit.KindCalledFromCallback, inObserver.kind(), inObserver.toString()); // requested, not waited for
        Result joined = g.join();
        assertTrue(joined.isOk(), joined.toString());
        assertEquals(Nodekit.StateStopped, g.state());
        assertEquals(List.of("start a", "stop a"), calls.snapshot());
    }

    @Test
    void observerRegisteredAfterStartSeesLaterEvents() throws Exception {
        Recorder seen = new Recorder();
        Group g = new Group();
        g.add("a", null);
        assertTrue(g.start().isOk());
        g.observe(0, Event.observer(e -> seen.add(label(e))));
        assertTrue(g.stop().isOk());
        seen.await("a:Stopped");
        assertEquals(List.of("a:Stopping", "a:Stopped"), seen.snapshot());
    }

    @Test
    void aThrowingLoggerDoesNotBreakTheGroup() throws Exception {
        BlockingQueue<String> tried = new LinkedBlockingQueue<>();
        Recorder calls = new Recorder();
        Group g = new Group();
        g.setLogger((level, message) -> {
            tried.add(message);
            throw new IllegalStateException("logger broke");
        });
        g.observe(0, Event.observer(e -> {
            if (!e.isStart()) {
                throw new RuntimeException("observer broke");
            }
        }));
        g.add("a", new RecordingService("a", calls));
        assertTrue(g.start().isOk());
        assertTrue(g.stop().isOk());
        assertTrue(poll(tried, "a log call").contains("observer failed"));
        assertEquals(List.of("start a", "stop a"), calls.snapshot());
    }

    @Test
    void aBatchObserverGetsTheSameEventsAsAnObserverInFewerCalls() throws Exception {
        List<Event> one = new ArrayList<>();
        List<Event> batched = new ArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        Group g = new Group();
        g.observe(0, Event.observer(e -> {
            synchronized (one) {
                one.add(e);
            }
        }));
        g.observeBatch(0, (data, count) -> {
            calls.incrementAndGet();
            List<Event> events = Event.unpack(data, count);
            assertEquals(count, events.size());
            for (Event e : events) {
                assertEquals(events.get(0).isStart(), e.isStart(), "a batch never mixes start and stop events");
            }
            synchronized (batched) {
                batched.addAll(events);
            }
        });
        g.observeBatch(0, null); // ignored
        for (int i = 0; i < 50; i++) {
            g.add("sérvice-" + i, null);
        }
        assertTrue(g.start().isOk());
        assertTrue(g.stop().isOk());
        // stop() returned after every observer had received every event.
        synchronized (one) {
            synchronized (batched) {
                assertEquals(200, one.size());
                assertEquals(one, batched);
            }
        }
        assertTrue(calls.get() >= 2 && calls.get() <= 200, calls.get() + " batches");
    }

    @Test
    void aBatchObserverExceptionForStartEventsAbortsWithItsClassName() throws Exception {
        List<String> handled = new java.util.concurrent.CopyOnWriteArrayList<>();
        Group g = new Group();
        g.observeBatch(4, Event.batchObserver(e -> {
            handled.add(label(e));
            if (e.getTo() == Nodekit.StateRunning) {
                throw new IOException("no quota for " + e.getService());
            }
        }));
        g.add("a", null);
        Result r = g.start();
        assertEquals(Nodekit.KindAborted, r.kind(), r.message());
        assertTrue(r.message().contains("java.io.IOException: no quota for a"), r.message());
        assertTrue(r.message().contains("priority 4"), r.message());
        assertTrue(handled.containsAll(List.of("a:Starting", "a:Running")), handled.toString());
    }

    @Test
    void unpackRefusesABatchThatDoesNotHoldCountEvents() {
        assertEquals(List.of(), Event.unpack(null, 0));
        assertThrows(IllegalArgumentException.class, () -> Event.unpack(null, 1));
        assertThrows(IllegalArgumentException.class, () -> Event.unpack(new byte[] {0, 0, 0, 9, 'a'}, 1));
        assertThrows(IllegalArgumentException.class, () -> Event.unpack(new byte[3], 0));
        assertThrows(IllegalArgumentException.class, () -> Event.unpack(new byte[0], -1));
    }
}
