package dev.nodekit;

import static dev.nodekit.TestSupport.await;
import static dev.nodekit.TestSupport.bytes;
import static dev.nodekit.TestSupport.poll;
import static dev.nodekit.TestSupport.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The contract at the edges: stop()/join() inside a callback of the same
 * object, requestStop(), a stuck start hook with a start timeout, names,
 * events left at stop, and Java exceptions crossing into Go.
 */
class CallbackContractTest {
    @Test
    void joinAndStopInsideAStartHookReturnAtOnceSayingSo() throws Exception {
        Group g = new Group();
        BlockingQueue<Result> inside = new LinkedBlockingQueue<>();
        g.add("a", new Service() {
            @Override
            public void start() {
                inside.add(g.join()); // would wait for the group, which waits for this hook
                inside.add(g.stop());
            }

            @Override
            public void stop() {}
        });
        Result started = g.start();
        Result join = poll(inside, "join() inside start()"), stop = poll(inside, "stop() inside start()");
        assertEquals(Kind.CALLED_FROM_CALLBACK, Kind.of(join), join.toString());
        assertEquals(Kind.CALLED_FROM_CALLBACK, Kind.of(stop), stop.toString());
        assertTrue(g.join().isOk(), "the stop requested from the hook happened: " + g.join());
        assertEquals(Nodekit.StateStopped, g.state());
        assertTrue(started.isOk() || Kind.of(started) == Kind.CANCELED, started.toString());
    }

    @Test
    void requestStopFromAnObserverEndsTheGroup() throws Exception {
        Group g = new Group();
        g.observe(0, Event.observer(e -> {
            if (e.getTo() == Nodekit.StateRunning) {
                g.requestStop();
            }
        }));
        g.add("a", null);
        g.start();
        assertTrue(g.join().isOk());
        g.requestStop(); // idempotent
        assertEquals(Nodekit.StateStopped, g.state());
    }

    @Test
    void processorHandlerCanRequestStopAndJoinWithoutBlocking() throws Exception {
        AtomicReference<Processor> self = new AtomicReference<>();
        CountDownLatch assigned = new CountDownLatch(1);
        BlockingQueue<Result> inside = new LinkedBlockingQueue<>();
        Processor p = Nodekit.startProcessor(null, null, e -> {
            assigned.await();
            self.get().requestStop();
            inside.add(self.get().join());
        }, null);
        self.set(p);
        assigned.countDown();
        p.submit(bytes("e"));
        assertEquals(Kind.CALLED_FROM_CALLBACK, Kind.of(poll(inside, "join() inside the handler")));
        assertTrue(p.join().isOk());
    }

    /** start() returns with the timeout while the hook is still stuck: it does not wait for it. */
    @Test
    void aStuckStartHookTimesOutWithoutHoldingStartBack() throws Exception {
        CountDownLatch startReturned = new CountDownLatch(1), hookLeft = new CountDownLatch(1);
        Group g = new Group();
        ServiceOptions o = new ServiceOptions();
        o.setStartTimeoutMillis(200);
        g.addWithOptions("stuck", new Service() {
            @Override
            public void start() throws InterruptedException {
                await(startReturned, "start() returning while this hook is stuck");
                hookLeft.countDown();
            }

            @Override
            public void stop() {}
        }, o);
        Result r = g.start();
        startReturned.countDown();
        assertEquals(Kind.START_TIMEOUT, Kind.of(r), r.toString());
        assertTrue(r.message().contains("stuck"), "names the service: " + r);
        await(hookLeft, "the hook to end");
    }

    @Test
    void nullOrEmptyServiceNamesAreRefused() throws Exception {
        Group g = new Group();
        NodekitException nul = assertThrows(NodekitException.class, () -> g.add(null, null));
        assertEquals(Kind.ILLEGAL_STATE, nul.kind());
        assertThrows(NodekitException.class, () -> g.add("", null));
        g.add("fine", null);
        assertThrows(NodekitException.class, () -> g.serviceState("unknown"));
    }

    /** Every submit that returned normally is handled before stop() returns, or reported and handed back. */
    @Test
    void noEventIsLostAtStop() throws Exception {
        final int n = 20_000;
        AtomicInteger handled = new AtomicInteger();
        Processor p = Nodekit.startProcessor(null, null, e -> handled.incrementAndGet(), null);
        for (int i = 0; i < n; i++) {
            p.submit(bytes("e" + i));
        }
        Result r = p.stop();
        assertTrue(r.isOk() || Kind.of(r) == Kind.UNHANDLED, r.toString());
        assertEquals(n, handled.get() + p.unhandledCount(), "handled + unhandled");
        assertTrue(r.isOk() == (p.unhandledCount() == 0), "a stop that left events says so: " + r);
    }

    @Test
    void eventsTheHandlerNeverTookComeBackInOrder() throws Exception {
        ProcessorConfig cfg = new ProcessorConfig();
        cfg.setStopTimeoutMillis(300);
        cfg.setRetryBackoffMillis(1);
        Processor p = Nodekit.startProcessor(cfg, null, e -> {
            throw new IOException("not now");
        }, null);
        p.submit(bytes("one"));
        p.submit(bytes("two"));
        assertEquals(0, p.unhandledCount(), "nothing is reported while it runs");
        Result r = p.stop();
        assertEquals(Kind.UNHANDLED, Kind.of(r), r.toString());
        assertTrue(r.message().contains("2 events"), r.message());
        List<String> back = new ArrayList<>();
        for (byte[] e : EventBatch.unpack(p.unhandled(), p.unhandledCount())) {
            back.add(str(e));
        }
        assertEquals(List.of("one", "two"), back);
    }

    @Test
    void aJavaExceptionKeepsItsClassInTheMessage() throws Exception {
        assertEquals("java.io.IOException: disk full", failedStart(new IOException("disk full")));
        assertTrue(failedStart(new IllegalStateException()).endsWith("java.lang.IllegalStateException"),
                "a null message still names the class");
    }

    /** The message of a group whose only service throws e from start(), less its "start: " prefixes. */
    private static String failedStart(Exception e) throws Exception {
        Group g = new Group();
        g.add("s", new Service() {
            @Override
            public void start() throws Exception {
                throw e;
            }

            @Override
            public void stop() {}
        });
        Result r = g.start();
        assertEquals(Kind.FAILED, Kind.of(r), r.toString());
        String m = r.message();
        return m.substring(m.indexOf("java."));
    }

    /** An Observer gets each event's fields as plain values (no Go object per event). */
    @Test
    void anObserverGetsPlainValuesAndCanAbortAStart() throws Exception {
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        Group g = new Group();
        g.observe(0, (service, from, to, nanos, err, kind, at) ->
                seen.add(service + " " + Nodekit.stateName(from) + ">" + Nodekit.stateName(to) + " " + Nodekit.kindName(kind)));
        g.add("a", null);
        assertTrue(g.start().isOk());
        assertTrue(g.stop().isOk());
        List<String> got = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            got.add(poll(seen, "event " + i));
        }
        assertEquals(List.of("a New>Starting OK", "a Starting>Running OK", "a Running>Stopping OK",
                "a Stopping>Stopped OK"), got);

        Group refused = new Group();
        refused.observe(0, (service, from, to, nanos, err, kind, at) -> {
            if (to == Nodekit.StateRunning) {
                throw new IllegalStateException("not today");
            }
        });
        refused.add("a", null);
        Result r = refused.start();
        assertEquals(Kind.ABORTED, Kind.of(r), r.toString());
        assertTrue(r.message().contains("java.lang.IllegalStateException: not today"), r.message());
    }

    @Test
    void kindAndStateNamesComeFromOneTable() throws Exception {
        for (java.lang.reflect.Field f : Nodekit.class.getFields()) { // every Kind* and State* constant has its name
            String name = f.getName();
            if (f.getType() == long.class && (name.startsWith("Kind") || name.startsWith("State"))) {
                long v = f.getLong(null);
                String got = name.startsWith("Kind") ? Nodekit.kindName(v) : Nodekit.stateName(v);
                assertEquals(name.substring(name.startsWith("Kind") ? 4 : 5), got, name);
            }
        }
        assertEquals("CalledFromCallback", Nodekit.kindName(Nodekit.KindCalledFromCallback));
        assertEquals("Running", Nodekit.stateName(Nodekit.StateRunning));
        assertEquals("Kind(99)", Nodekit.kindName(99));
    }
}
