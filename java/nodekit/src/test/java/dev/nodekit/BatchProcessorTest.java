package dev.nodekit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Events reach a Java BatchEventHandler packed, in order; what it does not take comes again. */
@Timeout(60)
class BatchProcessorTest {
    @Test
    void everyEventArrivesInOrderAcrossBatches() throws Exception {
        int n = 5000;
        List<String> got = new ArrayList<>();
        CountDownLatch all = new CountDownLatch(n);
        Processor p = Nodekit.startBatchProcessor(null, null, (data, count) -> {
            ByteBuffer buf = ByteBuffer.wrap(data);
            for (long i = 0; i < count; i++) {
                byte[] e = new byte[buf.getInt()];
                buf.get(e);
                got.add(new String(e, StandardCharsets.UTF_8));
                all.countDown();
            }
            return count;
        }, null);
        for (int i = 0; i < n; i++) {
            p.submit(("e" + i).getBytes(StandardCharsets.UTF_8));
        }
        assertTrue(all.await(10, TimeUnit.SECONDS), "only " + (n - all.getCount()) + " of " + n + " arrived");
        assertTrue(p.stop().isOk());
        for (int i = 0; i < n; i++) {
            assertEquals("e" + i, got.get(i));
        }
        assertEquals(n, p.counters().getEventsHandled());
    }

    @Test
    void refusedEventsComeAgainInOrder() throws Exception {
        ProcessorConfig cfg = new ProcessorConfig();
        cfg.setRetryBackoffMillis(1);
        AtomicInteger calls = new AtomicInteger();
        List<String> got = new ArrayList<>();
        CountDownLatch three = new CountDownLatch(3);
        Processor p = Nodekit.startBatchProcessor(cfg, null, (data, count) -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("not ready");
            }
            List<byte[]> events = EventBatch.unpack(data, count);
            got.add(new String(events.get(0), StandardCharsets.UTF_8)); // one per call
            three.countDown();
            return 1;
        }, null);
        p.submit("a".getBytes(StandardCharsets.UTF_8));
        p.submit("b".getBytes(StandardCharsets.UTF_8));
        p.submit("c".getBytes(StandardCharsets.UTF_8));
        assertTrue(three.await(10, TimeUnit.SECONDS));
        assertTrue(p.stop().isOk());
        assertEquals(List.of("a", "b", "c"), got);
        assertTrue(p.counters().getRetries() >= 1);
    }

    @Test
    void submitBatchRoundTripsThroughABatchHandler() throws Exception {
        int n = 3000;
        List<String> got = new ArrayList<>();
        CountDownLatch all = new CountDownLatch(n);
        Processor p = Nodekit.startBatchProcessor(null, null, (data, count) -> {
            for (byte[] e : EventBatch.unpack(data, count)) {
                got.add(new String(e, StandardCharsets.UTF_8));
                all.countDown();
            }
            return count;
        }, null);
        List<byte[]> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            batch.add(("b" + i).getBytes(StandardCharsets.UTF_8));
            if (batch.size() == 100) {
                p.submitBatch(EventBatch.pack(batch), batch.size());
                batch.clear();
            }
        }
        assertTrue(all.await(10, TimeUnit.SECONDS));
        assertTrue(p.stop().isOk());
        for (int i = 0; i < n; i++) {
            assertEquals("b" + i, got.get(i));
        }
    }

    @Test
    void submitBatchRejectsAMiscountedBatch() throws Exception {
        Processor p = Nodekit.startProcessor(null, null, null, null);
        byte[] two = EventBatch.pack(List.of(new byte[] {1}, new byte[] {2}));
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> p.submitBatch(two, 3));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(p.stop().isOk());
        assertEquals(0, p.counters().getEventsHandled());
    }
}
