package dev.nodekit;

import static dev.nodekit.TestSupport.WAIT_SECONDS;
import static dev.nodekit.TestSupport.bytes;
import static dev.nodekit.TestSupport.concurrently;
import static dev.nodekit.TestSupport.poll;
import static dev.nodekit.TestSupport.str;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nodekit.TestSupport.QueueLogger;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The background processor from Java: Java handler, persister, timers, logger. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // hang guard only
class ProcessorTest {
    /** One persist call. */
    record Persisted(String key, byte[] data) {
        String text() {
            return str(data);
        }
    }

    /** A Java persister that queues every call, and can be told to throw. */
    static class RecordingPersister implements Persister {
        final BlockingQueue<Persisted> calls = new LinkedBlockingQueue<>();
        final List<Persisted> all = new ArrayList<>();
        volatile Exception failure;

        @Override
        public void persist(String key, byte[] data) throws Exception {
            if (failure != null) {
                throw failure;
            }
            Persisted p = new Persisted(key, data);
            synchronized (all) {
                all.add(p);
            }
            calls.add(p);
        }

        Persisted last() {
            synchronized (all) {
                return all.isEmpty() ? null : all.get(all.size() - 1);
            }
        }

        int count() {
            synchronized (all) {
                return all.size();
            }
        }
    }

    /** Event number i: its index and some bytes that are not valid UTF-8. */
    private static byte[] event(int i) {
        return ByteBuffer.allocate(8).putInt(i).put((byte) 0).put((byte) 0xff).put((byte) 0x80).put((byte) i).array();
    }

    @Test
    void submittedEventsReachTheJavaHandlerInOrderWithTheirBytes() throws Exception {
        int n = 1000;
        BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
        Processor p = Nodekit.startProcessor(new ProcessorConfig(), null, got::add, null);
        for (int i = 0; i < n; i++) {
            byte[] e = event(i);
            p.submit(e);
            Arrays.fill(e, (byte) 0x55); // the processor kept its own copy
        }
        for (int i = 0; i < n; i++) {
            assertArrayEquals(event(i), poll(got, "event " + i), "event " + i);
        }
        Result r = p.stop();
        assertTrue(r.isOk(), r.toString());
        ProcessorCounters c = p.counters();
        assertEquals(n, c.getEventsHandled());
        assertEquals(0, c.getRetries());
        assertTrue(c.getPasses() >= 1, c.toString());
        assertEquals(Nodekit.StateStopped, p.state());
    }

    @Test
    void handlerMutatingItsArrayDoesNotAffectTheNextAttempt() throws Exception {
        ProcessorConfig cfg = new ProcessorConfig();
        cfg.setRetryBackoffMillis(1);
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        AtomicInteger attempts = new AtomicInteger();
        Processor p = Nodekit.startProcessor(cfg, null, e -> {
            got.add(str(e));
            Arrays.fill(e, (byte) '!');
            if (attempts.incrementAndGet() == 1) {
                throw new IllegalStateException("again");
            }
        }, null);
        p.submit(bytes("payload"));
        assertEquals("payload", poll(got, "first attempt"));
        assertEquals("payload", poll(got, "second attempt"));
        assertTrue(p.stop().isOk());
    }

    @Test
    void aThrowingHandlerGetsTheSameEventAgainInOrder() throws Exception {
        ProcessorConfig cfg = new ProcessorConfig();
        cfg.setRetryBackoffMillis(1);
        cfg.setMaxRetryBackoffMillis(5);
        BlockingQueue<String> attempts = new LinkedBlockingQueue<>();
        AtomicInteger refusalsLeft = new AtomicInteger(3);
        Processor p = Nodekit.startProcessor(cfg, null, e -> {
            String s = str(e);
            attempts.add(s);
            if (s.equals("b") && refusalsLeft.getAndDecrement() > 0) {
                throw new IOException("peer not ready");
            }
        }, null);
        for (String s : List.of("a", "b", "c", "d")) {
            p.submit(bytes(s));
        }
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            seen.add(poll(attempts, "attempt " + (i + 1)));
        }
        assertEquals(List.of("a", "b", "b", "b", "b", "c", "d"), seen);
        assertTrue(p.stop().isOk());
        ProcessorCounters c = p.counters();
        assertEquals(3, c.getRetries());
        assertEquals(4, c.getEventsHandled());
    }

    @Test
    void updateStatePersistsUnderTheDefaultKey() throws Exception {
        RecordingPersister store = new RecordingPersister();
        Processor p = Nodekit.startProcessor(null, store, null, null);
        byte[] snapshot = bytes("v1");
        p.updateState(snapshot);
        snapshot[0] = 'X'; // the processor kept its own copy
        Persisted got = poll(store.calls, "persist of v1");
        assertEquals("state", got.key());
        assertEquals("v1", got.text());
        assertTrue(p.stop().isOk());
        assertEquals(1, store.count(), "unchanged state is not persisted again on stop");
        assertEquals(1, p.counters().getPersists());
        assertEquals(0, p.counters().getPersistFailures());
    }

    @Test
    void updateStatePersistsUnderTheConfiguredKey() throws Exception {
        RecordingPersister store = new RecordingPersister();
        ProcessorConfig cfg = new ProcessorConfig();
        cfg.setStateKey("wallet");
        assertEquals("wallet", cfg.getStateKey());
        Processor p = Nodekit.startProcessor(cfg, store, null, null);
        p.updateState(bytes("balance=5"));
        Persisted got = poll(store.calls, "persist");
        assertEquals("wallet", got.key());
        assertEquals("balance=5", got.text());
        assertTrue(p.stop().isOk());
    }

    @Test
    void theInitialStateIsNotPersistedUntilItChanges() throws Exception {
        RecordingPersister store = new RecordingPersister();
        ProcessorConfig cfg = new ProcessorConfig();
        cfg.setInitialState(bytes("loaded"));
        Processor p = Nodekit.startProcessor(cfg, store, null, null);
        assertTrue(p.stop().isOk());
        assertEquals(0, store.count());
        assertEquals(0, p.counters().getPersists());
    }

    @Test
    void aThrowingPersisterStopsTheProcessorWithKindPersist() throws Exception {
        RecordingPersister store = new RecordingPersister();
        store.failure = new IOException("disk full");
        Processor p = Nodekit.startProcessor(null, store, null, null);
        p.updateState(bytes("x"));
        Result r = p.join();
        assertFalse(r.isOk());
        assertEquals(Nodekit.KindPersist, r.kind(), r.toString());
        assertTrue(r.message().contains("disk full"), r.message());
        assertEquals(r.message(), p.stop().message());
        assertEquals(r.kind(), p.join().kind());
        assertTrue(p.counters().getPersistFailures() >= 1);
        assertEquals(Nodekit.StateFailed, p.state());
    }

    @Test
    void stopMakesAFinalPersistOfTheLatestState() throws Exception {
        RecordingPersister store = new RecordingPersister();
        Processor p = Nodekit.startProcessor(null, store, null, null);
        for (int i = 1; i <= 50; i++) {
            p.updateState(bytes("v" + i));
        }
        Result r = p.stop();
        assertTrue(r.isOk(), r.toString());
        assertNotNull(store.last(), "nothing persisted");
        assertEquals("v50", store.last().text());
        assertEquals(store.count(), p.counters().getPersists());
    }

    @Test
    void stopPersistsStateUpdatedWhileTheHandlerWasBusy() throws Exception {
        RecordingPersister store = new RecordingPersister();
        CountDownLatch inHandler = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Processor p = Nodekit.startProcessor(null, store, e -> {
            inHandler.countDown();
            release.await();
        }, null);
        p.submit(bytes("slow"));
        TestSupport.await(inHandler, "the handler");
        p.updateState(bytes("latest"));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Result> stopping = pool.submit(p::stop);
            release.countDown();
            Result r = stopping.get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertTrue(r.isOk(), r.toString());
        } finally {
            pool.shutdownNow();
        }
        assertEquals("latest", store.last().text());
    }

    @Test
    void timersCallTheJavaCallbackRepeatedly() throws Exception {
        BlockingQueue<Long> fired = new LinkedBlockingQueue<>();
        ProcessorConfig cfg = new ProcessorConfig();
        cfg.addTimer("tick", 5, fired::add);
        long before = System.currentTimeMillis();
        Processor p = Nodekit.startProcessor(cfg, null, null, null);
        long first = poll(fired, "first timer fire");
        long second = poll(fired, "second timer fire");
        assertTrue(first >= before - 1000 && first <= System.currentTimeMillis() + 1000,
                "the argument is the current time in Unix milliseconds: " + first);
        assertTrue(second >= first, first + " then " + second);
        assertTrue(p.stop().isOk());
        assertTrue(p.counters().getTimerFires() >= 2, p.counters().toString());
        assertEquals(0, p.counters().getTimerFailures());
    }

    @Test
    void aThrowingTimerIsCountedAndLoggedAndTheProcessorGoesOn() throws Exception {
        QueueLogger log = new QueueLogger();
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        ProcessorConfig cfg = new ProcessorConfig();
        cfg.addTimer("flaky", 5, now -> {
            throw new IllegalStateException("tick failed");
        });
        Processor p = Nodekit.startProcessor(cfg, null, e -> events.add(str(e)), log);
        log.await(Nodekit.LevelWarn, "timer failed", "flaky", "tick failed");
        p.submit(bytes("still alive"));
        assertEquals("still alive", poll(events, "an event after the timer failure"));
        assertTrue(p.stop().isOk());
        assertTrue(p.counters().getTimerFailures() >= 1);
    }

    @Test
    void addTimerRejectsANullCallbackAndANonPositiveInterval() {
        ProcessorConfig cfg = new ProcessorConfig();
        assertThrows(Exception.class, () -> cfg.addTimer("null", 10, null));
        assertThrows(Exception.class, () -> cfg.addTimer("zero", 0, now -> {}));
        assertThrows(Exception.class, () -> cfg.addTimer("negative", -5, now -> {}));
    }

    @Test
    void nullConfigPersisterHandlerAndLoggerAreAccepted() throws Exception {
        Processor p = Nodekit.startProcessor(null, null, null, null);
        p.submit(bytes("dropped"));
        p.submit(null);
        p.updateState(bytes("kept nowhere"));
        assertTrue(p.stop().isOk());
        assertTrue(p.join().isOk());

        Processor q = Nodekit.startProcessor(Nodekit.newProcessorConfig(), null, null, null);
        assertTrue(q.stop().isOk());
    }

    @Test
    void stopFromInsideTheHandlerReturns() throws Exception {
        AtomicReference<Processor> self = new AtomicReference<>();
        CountDownLatch assigned = new CountDownLatch(1);
        BlockingQueue<Result> fromHandler = new LinkedBlockingQueue<>();
        Processor p = Nodekit.startProcessor(null, null, e -> {
            assigned.await();
            fromHandler.add(self.get().stop());
        }, null);
        self.set(p);
        assigned.countDown();
        p.submit(bytes("stop yourself"));
        Result inHandler = poll(fromHandler, "stop() inside the handler returning");
        assertEquals(Nodekit.KindCalledFromCallback, inHandler.kind(), inHandler.toString()); // requested, not waited for
        assertTrue(p.join().isOk());
        assertEquals(Nodekit.StateStopped, p.state());
    }

    @Test
    void stopFromInsideATimerReturns() throws Exception {
        AtomicReference<Processor> self = new AtomicReference<>();
        CountDownLatch assigned = new CountDownLatch(1);
        BlockingQueue<Result> fromTimer = new LinkedBlockingQueue<>();
        ProcessorConfig cfg = new ProcessorConfig();
        cfg.addTimer("stopper", 1, now -> {
            assigned.await();
            fromTimer.add(self.get().stop());
        });
        Processor p = Nodekit.startProcessor(cfg, null, null, null);
        self.set(p);
        assigned.countDown();
        assertEquals(Nodekit.KindCalledFromCallback, poll(fromTimer, "stop() inside the timer returning").kind());
        assertTrue(p.join().isOk());
    }

    @Test
    void stopIsIdempotentAndConcurrent() throws Exception {
        RecordingPersister store = new RecordingPersister();
        Processor p = Nodekit.startProcessor(null, store, null, null);
        p.updateState(bytes("final"));
        for (Result r : concurrently(6, p::stop)) {
            assertTrue(r.isOk());
        }
        assertTrue(p.stop().isOk());
        assertEquals(1, store.count(), "persisted once");
        assertEquals("final", store.last().text());
    }

    @Test
    void handlerExceptionsAreLoggedAtDebug() throws Exception {
        QueueLogger log = new QueueLogger();
        ProcessorConfig cfg = new ProcessorConfig();
        cfg.setRetryBackoffMillis(1);
        AtomicInteger n = new AtomicInteger();
        BlockingQueue<String> handled = new LinkedBlockingQueue<>();
        Processor p = Nodekit.startProcessor(cfg, null, e -> {
            if (n.incrementAndGet() == 1) {
                throw new IllegalStateException("first refusal");
            }
            handled.add(str(e));
        }, log);
        p.submit(bytes("x"));
        assertEquals("x", poll(handled, "the retried event"));
        log.await(Nodekit.LevelDebug, "will retry", "first refusal");
        assertTrue(p.stop().isOk());
    }

    @Test
    void aHungHandlerMakesStopTimeOutNamingTheHandler() throws Exception {
        CountDownLatch inHandler = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch handlerReturned = new CountDownLatch(1);
        ProcessorConfig cfg = new ProcessorConfig();
        cfg.setStopTimeoutMillis(50);
        assertEquals(50, cfg.getStopTimeoutMillis());
        Processor p = Nodekit.startProcessor(cfg, null, e -> {
            inHandler.countDown();
            try {
                release.await();
            } finally {
                handlerReturned.countDown();
            }
        }, null);
        try {
            p.submit(bytes("wedge"));
            TestSupport.await(inHandler, "the handler");
            Result r = p.stop();
            assertEquals(Nodekit.KindStopTimeout, r.kind(), r.toString());
            assertTrue(r.message().contains("processor"), r.message());
            assertTrue(r.message().contains("handler"), "names what the loop is busy with: " + r.message());
        } finally {
            release.countDown();
        }
        TestSupport.await(handlerReturned, "the released handler returning");
    }

    @Test
    void anEmptyEventOrStateArrivesAsNull() throws Exception {
        // gomobile passes an empty byte[] across the boundary as null: handlers
        // and persisters must accept null.
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        RecordingPersister store = new RecordingPersister();
        Processor p = Nodekit.startProcessor(null, store, e -> got.add(e == null ? "null" : "length " + e.length), null);
        p.submit(new byte[0]);
        assertEquals("null", poll(got, "the empty event"));
        p.updateState(new byte[0]);
        Persisted w = poll(store.calls, "the empty state");
        assertNull(w.data());
        assertTrue(p.stop().isOk());
    }

    @Test
    void stopFromInsideThePersisterReturnsAndTheStateIsKept() throws Exception {
        AtomicReference<Processor> self = new AtomicReference<>();
        CountDownLatch assigned = new CountDownLatch(1);
        BlockingQueue<Result> fromPersister = new LinkedBlockingQueue<>();
        RecordingPersister store = new RecordingPersister() {
            @Override
            public void persist(String key, byte[] data) throws Exception {
                super.persist(key, data);
                assigned.await();
                fromPersister.add(self.get().stop());
            }
        };
        Processor p = Nodekit.startProcessor(null, store, null, null);
        self.set(p);
        assigned.countDown();
        p.updateState(bytes("s1"));
        assertEquals(Nodekit.KindCalledFromCallback, poll(fromPersister, "stop() inside persist()").kind());
        assertTrue(p.join().isOk());
        assertEquals("s1", store.last().text());
    }
}
