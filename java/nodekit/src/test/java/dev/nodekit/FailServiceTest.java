package dev.nodekit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A running Java service reports a failure with failService; its restart policy applies. */
@Timeout(60)
class FailServiceTest {
    private static Service recording(String name, BlockingQueue<String> calls) {
        return new Service() {
            @Override public void start() { calls.add("start " + name); }
            @Override public void stop() { calls.add("stop " + name); }
        };
    }

    private static String next(BlockingQueue<String> calls) throws InterruptedException {
        String s = calls.poll(10, TimeUnit.SECONDS);
        if (s == null) throw new AssertionError("no call within 10 s");
        return s;
    }

    @Test
    void failedServiceIsRestartedByItsPolicy() throws Exception {
        BlockingQueue<String> calls = new LinkedBlockingQueue<>();
        BlockingQueue<String> running = new LinkedBlockingQueue<>(); // "conn" each time it is recorded Running
        Group g = new Group();
        g.observe(0, (service, from, to, nanos, err, kind, at) -> {
            if (to == Nodekit.StateRunning) running.add(service);
        });
        ServiceOptions o = new ServiceOptions();
        o.setRestart(true);
        o.setRestartBackoffMillis(1);
        g.addWithOptions("conn", recording("conn", calls), o);
        assertTrue(g.start().isOk());
        assertEquals("start conn", next(calls));
        assertEquals("conn", next(running));
        g.failService("conn", "socket reset");
        assertEquals("stop conn", next(calls));
        assertEquals("start conn", next(calls), "restarted after the backoff");
        // start() has been called; the group records Running once it returns,
        // and tells the observer.
        assertEquals("conn", next(running), "Running again after the restart");
        assertEquals(Nodekit.StateRunning, g.serviceState("conn"));
        assertTrue(g.stop().isOk());
        assertEquals("stop conn", next(calls));
    }

    @Test
    void failedServiceWithoutRestartStopsTheGroupInReverse() throws Exception {
        BlockingQueue<String> calls = new LinkedBlockingQueue<>();
        Group g = new Group();
        g.add("db", recording("db", calls));
        g.add("conn", recording("conn", calls));
        assertTrue(g.start().isOk());
        g.failService("conn", "socket reset");
        Result r = g.join();
        assertEquals(Nodekit.KindFailed, r.kind());
        assertTrue(r.message().contains("service \"conn\": socket reset"), r.message());
        assertEquals(List.of("start db", "start conn", "stop conn", "stop db"),
                List.of(next(calls), next(calls), next(calls), next(calls)));
    }

    @Test
    void unknownServiceThrows() {
        Group g = new Group();
        Exception e = assertThrows(Exception.class, () -> g.failService("nope", "x"));
        assertTrue(e.getMessage().contains("no such service"), e.getMessage());
    }
}
