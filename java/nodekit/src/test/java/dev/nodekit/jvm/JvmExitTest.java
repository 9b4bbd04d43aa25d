package dev.nodekit.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A JVM that used the bindings exits when main returns (no non-daemon helper threads). */
class JvmExitTest {
    @Test
    void jvmExitsAfterMainReturns() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // Surefire puts the real test class path here (java.class.path may be a manifest jar).
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        File out = File.createTempFile("nodekit-exit-probe", ".txt");
        out.deleteOnExit();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", cp, ExitProbe.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(out)
                .start();
        // Generous: a hung JVM never exits; a healthy one exits in about a second.
        boolean exited = p.waitFor(60, TimeUnit.SECONDS);
        String output = new String(Files.readAllBytes(out.toPath()), StandardCharsets.UTF_8);
        if (!exited) {
            p.destroyForcibly();
        }
        assertTrue(exited, "child JVM did not exit after main returned; output:\n" + output);
        assertEquals(0, p.exitValue(), "child JVM failed; output:\n" + output);
        assertTrue(output.contains("0.1.0") && output.contains("group true true"), "unexpected output:\n" + output);
    }
}
