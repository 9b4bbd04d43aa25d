package dev.nodekit.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Short-lived handles from Java do not make the process grow: 20,000 cycles
 * in a JVM of its own (default heap, no System.gc()), measured from the
 * sample after 5,000 cycles (class loading, JIT and the heaps' first growth
 * are done by then) to the end. Before the ended handles let go of their
 * internals, the same run grew by about 107 MB of RSS and 43 MB of Go heap
 * (Group) and 45 MB / 22 MB (Processor); the bounds sit well between.
 * The long series (100,000 cycles) is {@code make churn-java}.
 */
class ChurnTest {
    static final long CYCLES = 20_000;
    static final long EVERY = 5_000;
    static final long MAX_RSS_GROWTH_KIB = 48 * 1024;
    static final long MAX_GO_HEAP_GROWTH_KIB = 16 * 1024;
    static final long MAX_THREAD_GROWTH = 8;
    static final long MAX_FD_GROWTH = 2;

    @Test
    void groupsOfJavaServices() throws Exception {
        check("group");
    }

    @Test
    void processorsWithAJavaHandler() throws Exception {
        check("processor");
    }

    static void check(String mode) throws Exception {
        List<Map<String, Long>> samples = run(mode, CYCLES, EVERY);
        assertEquals(CYCLES / EVERY + 1, samples.size(), "samples");
        Map<String, Long> from = samples.get(1), to = samples.get(samples.size() - 1);
        String series = mode + " series:\n" + String.join("\n", samples.stream().map(Map::toString).toList());
        assertTrue(grown(from, to, "rssKiB") <= MAX_RSS_GROWTH_KIB, "RSS grew too much; " + series);
        assertTrue(grown(from, to, "goHeapLiveKiB") <= MAX_GO_HEAP_GROWTH_KIB, "Go's live heap grew too much; " + series);
        assertTrue(grown(from, to, "osThreads") <= MAX_THREAD_GROWTH, "threads grew; " + series);
        assertTrue(grown(from, to, "fds") <= MAX_FD_GROWTH, "file descriptors grew; " + series);
        System.out.println(series);
    }

    static long grown(Map<String, Long> from, Map<String, Long> to, String key) {
        return to.get(key) - from.get(key);
    }

    /** Runs ChurnProbe in a child JVM with default settings and returns its samples. */
    static List<Map<String, Long>> run(String mode, long cycles, long every) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        File out = File.createTempFile("nodekit-churn", ".txt");
        out.deleteOnExit();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", cp,
                ChurnProbe.class.getName(), mode, Long.toString(cycles), Long.toString(every))
                .redirectErrorStream(true)
                .redirectOutput(out)
                .start();
        boolean exited = p.waitFor(120, TimeUnit.SECONDS); // a few seconds when healthy
        if (!exited) {
            p.destroyForcibly();
        }
        String output = Files.readString(out.toPath(), StandardCharsets.UTF_8);
        assertTrue(exited, "churn probe did not finish; output:\n" + output);
        assertEquals(0, p.exitValue(), "churn probe failed; output:\n" + output);
        List<Map<String, Long>> samples = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("sample ")) {
                Map<String, Long> s = new HashMap<>();
                for (String field : line.substring(7).trim().split(" ")) {
                    String[] kv = field.split("=", 2);
                    s.put(kv[0], Long.parseLong(kv[1]));
                }
                samples.add(s);
            }
        }
        return samples;
    }
}
