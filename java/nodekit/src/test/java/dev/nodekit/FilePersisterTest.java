package dev.nodekit;

import static dev.nodekit.TestSupport.bytes;
import static dev.nodekit.TestSupport.str;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** FilePersister from Java: state written by a processor, loaded back; missing and corrupt files. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // hang guard only
class FilePersisterTest {
    @TempDir
    Path dir;

    @Test
    void stateWrittenByAProcessorLoadsBackAfterStop() throws Exception {
        FilePersister fp = Nodekit.newFilePersister(dir.toString());
        assertNull(fp.load("state"), "nothing persisted yet");

        Processor p = Nodekit.startProcessor(new ProcessorConfig(), fp, null, null);
        p.updateState(bytes("counter=41"));
        Result r = p.stop();
        assertTrue(r.isOk(), r.toString());
        assertEquals("counter=41", str(fp.load("state")));
        assertTrue(Files.exists(dir.resolve("state")), "one file per key");
    }

    @Test
    void aSecondRunContinuesFromTheLoadedState() throws Exception {
        ProcessorConfig first = new ProcessorConfig();
        first.setStateKey("node");
        Processor p = Nodekit.startProcessor(first, new FilePersister(dir.toString()), null, null);
        p.updateState(bytes("height=7"));
        assertTrue(p.stop().isOk());

        // A new persister on the same directory, as after a restart of the app.
        FilePersister fp = new FilePersister(dir.toString());
        byte[] loaded = fp.load("node");
        assertEquals("height=7", str(loaded));
        ProcessorConfig second = new ProcessorConfig();
        second.setStateKey("node");
        second.setInitialState(loaded);
        Processor q = Nodekit.startProcessor(second, fp, null, null);
        assertTrue(q.stop().isOk());
        assertEquals(0, q.counters().getPersists(), "the loaded state is not written back unchanged");
        assertEquals("height=7", str(fp.load("node")));
    }

    @Test
    void binaryStateRoundTripsExactly() throws Exception {
        FilePersister fp = new FilePersister(dir.toString());
        byte[] data = new byte[70_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31 + 7);
        }
        fp.persist("blob", data);
        assertArrayEquals(data, fp.load("blob"));
    }

    @Test
    void loadOfAMissingKeyIsNull() throws Exception {
        FilePersister fp = new FilePersister(dir.toString());
        assertNull(fp.load("never-written"));
    }

    @Test
    void aCorruptFileThrowsOnLoad() throws Exception {
        FilePersister fp = new FilePersister(dir.toString());
        Files.write(dir.resolve("state"), bytes("this is not a state file at all"));
        Exception e = assertThrows(Exception.class, () -> fp.load("state"));
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    }

    @Test
    void aTruncatedFileThrowsOnLoad() throws Exception {
        FilePersister fp = new FilePersister(dir.toString());
        fp.persist("state", bytes("a state long enough to cut in half"));
        Path file = dir.resolve("state");
        byte[] whole = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(whole, whole.length - 5));
        Exception e = assertThrows(Exception.class, () -> fp.load("state"));
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    }

    @Test
    void aFlippedPayloadByteThrowsOnLoad() throws Exception {
        FilePersister fp = new FilePersister(dir.toString());
        fp.persist("state", bytes("checksummed"));
        Path file = dir.resolve("state");
        byte[] whole = Files.readAllBytes(file);
        whole[whole.length - 1] ^= 0x01;
        Files.write(file, whole);
        Exception e = assertThrows(Exception.class, () -> fp.load("state"));
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    }

    @Test
    void invalidKeysAndAnEmptyDirectoryNameThrow() throws Exception {
        FilePersister fp = new FilePersister(dir.toString());
        assertThrows(Exception.class, () -> fp.persist("../escape", bytes("x")));
        assertThrows(Exception.class, () -> fp.load("a/b"));
        assertThrows(Exception.class, () -> new FilePersister(""));
        assertThrows(Exception.class, () -> Nodekit.newFilePersister(""));
    }

    @Test
    void anEmptyStateLoadsAsNull() throws Exception {
        // gomobile passes an empty byte[] as null (both ways): an empty state
        // cannot be told apart from no state.
        FilePersister fp = new FilePersister(dir.toString());
        fp.persist("empty", new byte[0]);
        assertTrue(Files.exists(dir.resolve("empty")));
        assertNull(fp.load("empty"));
    }

    @Test
    void aProcessorStopsWithKindPersistWhenTheFilePersisterFails() throws Exception {
        ProcessorConfig cfg = new ProcessorConfig();
        cfg.setStateKey("not/a/file/name");
        Processor p = Nodekit.startProcessor(cfg, new FilePersister(dir.toString()), null, null);
        p.updateState(bytes("x"));
        Result r = p.join();
        assertEquals(Nodekit.KindPersist, r.kind(), r.toString());
        assertTrue(r.message().contains("invalid state key"), r.message());
    }
}
