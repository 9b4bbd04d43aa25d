package dev.nodekit.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.File;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The libraries the jar carries, and the error on a platform it has none for. */
class NativeLibrariesTest {
    @ParameterizedTest
    @CsvSource({"linux-x86_64, 62", "linux-aarch64, 183"})
    void theJarCarriesAJniLibraryPerLinuxArchitecture(String platform, int elfMachine) throws Exception {
        assumeFalse("1".equals(System.getenv("NODEKIT_HOST_ONLY")) && !platform.equals(NativeLoader.platform()),
                "NODEKIT_HOST_ONLY=1: built for this machine only");
        byte[] so;
        try (InputStream in = NativeLoader.class.getClassLoader()
                .getResourceAsStream("dev/nodekit/jvm/native/" + platform + "/libgojni.so")) {
            assertNotNull(in, "no library for " + platform);
            so = in.readAllBytes();
        }
        ByteBuffer elf = ByteBuffer.wrap(so).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x464c457f, elf.getInt(0), "ELF magic");
        assertEquals(2, so[4], "64-bit");
        assertEquals(3, elf.getShort(16), "ET_DYN: a shared library");
        assertEquals(elfMachine, elf.getShort(18), "ELF machine of " + platform);
        // The JNI entry points go.Seq binds to are exported by name.
        String text = new String(so, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("Java_go_Seq_init") && text.contains("Java_dev_nodekit_Nodekit__1init"), "JNI symbols");
    }

    @Test
    void anotherPlatformFailsWithAMessageNamingItAndTheWayOut() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        File out = File.createTempFile("nodekit-platform", ".txt");
        out.deleteOnExit();
        Process p = new ProcessBuilder(java, "-Dos.arch=riscv64", "-cp", cp, "dev.nodekit.jvm.VersionProbe")
                .redirectErrorStream(true)
                .redirectOutput(out)
                .start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM hung");
        String output = Files.readString(out.toPath());
        assertEquals(1, p.exitValue(), output);
        assertTrue(output.contains("UnsatisfiedLinkError: nodekit: no native library for linux-riscv64"), output);
        assertTrue(output.contains("-Dnodekit.native.library=") && output.contains("dev/nodekit/jvm/native/linux-riscv64/libgojni.so"), output);
    }
}
