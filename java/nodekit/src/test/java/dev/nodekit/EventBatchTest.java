package dev.nodekit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class EventBatchTest {
    @Test
    void packThenUnpackRoundTrips() {
        List<byte[]> events = List.of(new byte[] {1, 2, 3}, new byte[0], new byte[] {4});
        byte[] packed = EventBatch.pack(events);
        assertArrayEquals(new byte[] {0, 0, 0, 3, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 1, 4}, packed);
        List<byte[]> back = EventBatch.unpack(packed, 3);
        assertEquals(3, back.size());
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(events.get(i), back.get(i));
        }
    }

    @Test
    void nullDataIsCountEmptyEvents() {
        List<byte[]> back = EventBatch.unpack(null, 2);
        assertEquals(2, back.size());
        assertEquals(0, back.get(0).length);
    }

    @Test
    void malformedDataIsRejected() {
        byte[] two = EventBatch.pack(List.of(new byte[] {1}, new byte[] {2}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EventBatch.unpack(two, 3));
        assertTrue(e.getMessage().contains("event 2 of 3 is truncated"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EventBatch.unpack(two, 1));
        assertTrue(e.getMessage().contains("5 bytes after the 1 events"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> EventBatch.unpack(new byte[] {0, 0, 0, 9, 1}, 1));
        assertThrows(IllegalArgumentException.class, () -> EventBatch.unpack(new byte[] {-1, 0, 0, 0}, 1));
    }
}
