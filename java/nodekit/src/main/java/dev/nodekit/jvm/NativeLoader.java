package dev.nodekit.jvm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Loads the Go side of the bindings (libgojni.so) into a desktop JVM.
 *
 * <p>The jar carries the library as a resource at
 * {@code dev/nodekit/jvm/native/<os>-<arch>/libgojni.so}. The JVM build of
 * {@code go.Seq} calls {@link #load()} from its static initializer where the
 * Android build calls {@code System.loadLibrary("gojni")}, so user code never
 * calls this class: the first use of any binding class loads the library.
 *
 * <p>Lookup order: the system property {@code nodekit.native.library} (an
 * absolute path to a libgojni.so), then the jar resource (copied to a temporary
 * file, loaded, then deleted), then {@code System.loadLibrary("gojni")} (the
 * {@code java.library.path}).
 *
 * <p>After loading it starts {@link GcSentinel}, which releases Go objects whose
 * Java proxies were garbage-collected; set {@code -Dnodekit.gcSentinel=false}
 * to turn that off.
 *
 * <p>It also registers a shutdown hook that detaches Go's threads from the
 * JVM ({@link #releaseThreads()}). A Go thread that once called back into
 * Java stays attached, and a JVM that ends waits, after its shutdown hooks,
 * up to 300 ms for attached threads that are running native code (Go's idle
 * threads look like that): with the hook none is left and the JVM exits as
 * fast as without nodekit. A Java thread still inside a blocking nodekit call
 * (a {@code join()}, say) when the JVM ends is in native code too; that wait
 * is the JVM's, as for any native call.
 */
public final class NativeLoader {
    /** System property naming an explicit libgojni.so to load. */
    public static final String LIBRARY_PROPERTY = "nodekit.native.library";

    private static boolean loaded;

    /** Counted down by the shutdown hook once it has released Go's threads. */
    private static final CountDownLatch RELEASED = new CountDownLatch(1);
    /** What the hook did: Go threads detached, still attached after it, rounds of claims (-1: not run). */
    private static volatile int hookDetached = -1, hookLeftAttached = -1, hookRounds = -1;

    private NativeLoader() {}

    /**
     * Loads libgojni.so once per class loader; later calls return at once.
     *
     * @throws UnsatisfiedLinkError if no usable library is found
     */
    public static synchronized void load() {
        if (loaded) {
            return;
        }
        String explicit = System.getProperty(LIBRARY_PROPERTY);
        if (explicit != null && !explicit.isEmpty()) {
            System.load(Path.of(explicit).toAbsolutePath().toString());
        } else if (!loadFromResource()) {
            try {
                System.loadLibrary("gojni");
            } catch (UnsatisfiedLinkError e) {
                UnsatisfiedLinkError err = new UnsatisfiedLinkError(
                        "nodekit: no native library for " + platform() + ": the jar has no "
                                + resourcePath() + " and libgojni is not on java.library.path ("
                                + e.getMessage() + "). The jar carries linux-x86_64 and linux-aarch64 only. "
                                + "For " + platform() + ", build libgojni there (scripts/build-jvm.sh --native-only, "
                                + "see java/README.md) and set -D" + LIBRARY_PROPERTY + "=/path/to/libgojni.so, or put it on "
                                + "java.library.path, or add it to the jar as " + resourcePath());
                err.initCause(e);
                throw err;
            }
        }
        loaded = true;
        if (!"false".equalsIgnoreCase(System.getProperty("nodekit.gcSentinel"))) {
            GcSentinel.start();
        }
        Runtime.getRuntime().addShutdownHook(new Thread(NativeLoader::releaseQuietly, "nodekit-release-threads"));
    }

    /**
     * Detaches every idle Go thread from the JVM and returns how many it
     * detached. A thread that calls back into Java later is attached again;
     * one running Java code meanwhile stays attached. It also turns Go's
     * GC off (its finalizers call into Java): it is for the JVM's last
     * moments, and the shutdown hook calls it; nothing else should.
     */
    static native int releaseThreads();

    /** How many Go threads are attached to the JVM now (each once ran a callback). */
    static native int attachedThreads();

    /**
     * Rounds of claims the last {@link #releaseThreads()} took: 1 to 3 while
     * the thread in Go's network poller needs waking, one more if Go's
     * signal goroutine had to be moved off an attached thread.
     */
    static native int releaseRounds();

    private static void releaseQuietly() {
        System.Logger log = System.getLogger(NativeLoader.class.getName());
        try {
            GcSentinel.stop(); // its Go GCs would attach threads again
            hookDetached = releaseThreads();
            hookLeftAttached = attachedThreads();
            hookRounds = releaseRounds();
            log.log(System.Logger.Level.DEBUG, "nodekit: detached {0} Go threads in {1} rounds, {2} left attached",
                    hookDetached, hookRounds, hookLeftAttached);
        } catch (Throwable t) { // e.g. a libgojni.so built without it: exiting slower is all it costs
            log.log(System.Logger.Level.DEBUG, "nodekit: releaseThreads failed", t);
        } finally {
            RELEASED.countDown();
        }
    }

    /**
     * Waits until the shutdown hook has released Go's threads (for another
     * shutdown hook, in tests); returns {detached, left attached, rounds},
     * or null if the hook did not finish in time.
     */
    static int[] awaitRelease(long timeout, TimeUnit unit) throws InterruptedException {
        return RELEASED.await(timeout, unit) ? new int[] {hookDetached, hookLeftAttached, hookRounds} : null;
    }

    /** The platform directory name, e.g. {@code linux-x86_64}. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")) {
            os = "linux";
        } else if (os.startsWith("mac") || os.startsWith("darwin")) {
            os = "darwin";
        } else if (os.startsWith("windows")) {
            os = "windows";
        }
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        switch (arch) {
            case "amd64":
            case "x86_64":
                arch = "x86_64";
                break;
            case "aarch64":
            case "arm64":
                arch = "aarch64";
                break;
            default:
                break;
        }
        return os + "-" + arch;
    }

    static String resourcePath() {
        return "dev/nodekit/jvm/native/" + platform() + "/" + System.mapLibraryName("gojni");
    }

    /** Copies the bundled library to a temporary file and loads it; false if the jar has none. */
    private static boolean loadFromResource() {
        String resource = resourcePath();
        try (InputStream in = NativeLoader.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                return false;
            }
            // System.load needs a file; the library cannot be mapped from inside the jar.
            Path tmp = Files.createTempFile("nodekit-gojni-", "-" + System.mapLibraryName("gojni"));
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                System.load(tmp.toAbsolutePath().toString());
            } finally {
                // A loaded library stays mapped after its file is deleted (POSIX), so no
                // temporary file is left behind, even when the JVM is killed.
                if (!platform().startsWith("windows")) {
                    Files.deleteIfExists(tmp);
                } else {
                    tmp.toFile().deleteOnExit();
                }
            }
            return true;
        } catch (IOException e) {
            UnsatisfiedLinkError err = new UnsatisfiedLinkError("nodekit: cannot extract " + resource + ": " + e);
            err.initCause(e);
            throw err;
        }
    }
}
