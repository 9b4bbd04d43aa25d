package dev.nodekit;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;

/**
 * Stops handles when the JVM exits: on return from {@code main} (after the
 * last non-daemon thread), {@code System.exit}, SIGTERM or Ctrl-C, not on
 * SIGKILL or a crash.
 *
 * <pre>{@code
 * Group g = StopOnExit.register(new Group());
 * }</pre>
 *
 * <p>One JVM shutdown hook, installed on the first {@link #register}, closes
 * the registered handles one after the other in reverse order of
 * registration (the last registered is stopped first), each bounded by its own
 * stop timeout ({@code ProcessorConfig.setStopTimeoutMillis},
 * {@code Group.setStopTimeoutMillis}), so the JVM's exit waits at most the sum
 * of those. A failed stop is logged (System.Logger {@code dev.nodekit}, level
 * WARNING) and the next handle is still stopped.
 *
 * <p>The registry holds handles weakly: registering never keeps a handle
 * alive, and a handle already stopped by {@code stop()} or {@code close()} is
 * simply closed again (a no-op). A JVM exit started from inside one of the
 * handles' callbacks (e.g. {@code System.exit} in a service hook) does not
 * wait for that handle: the hook cannot wait for itself.
 */
public final class StopOnExit {
    private static final System.Logger LOG = System.getLogger("dev.nodekit");
    private static final List<WeakReference<Closer>> HANDLES = new ArrayList<>(); // guarded by itself
    private static boolean hooked; // guarded by HANDLES

    private StopOnExit() {}

    /**
     * Registers {@code handle} to be closed when the JVM exits and returns it.
     * Registering it again moves it to the end (stopped first).
     *
     * @throws IllegalStateException if the JVM is already shutting down
     */
    public static <T extends Closer> T register(T handle) {
        if (handle == null) {
            throw new NullPointerException("handle");
        }
        synchronized (HANDLES) {
            if (!hooked) {
                Runtime.getRuntime().addShutdownHook(new Thread(StopOnExit::stopAll, "nodekit-stop-on-exit"));
                hooked = true;
            }
            removeLocked(handle);
            HANDLES.add(new WeakReference<>(handle));
        }
        return handle;
    }

    /** Takes {@code handle} off the list; returns whether it was registered. */
    public static boolean unregister(Closer handle) {
        synchronized (HANDLES) {
            return removeLocked(handle);
        }
    }

    /** Removes handle and the entries of collected handles; returns whether handle was there. */
    private static boolean removeLocked(Closer handle) {
        boolean found = false;
        for (var it = HANDLES.iterator(); it.hasNext(); ) {
            Closer c = it.next().get();
            if (c == handle) {
                found = true;
            }
            if (c == null || c == handle) {
                it.remove();
            }
        }
        return found;
    }

    /** The shutdown hook: closes every registered handle, last registered first. */
    static void stopAll() {
        List<WeakReference<Closer>> todo;
        synchronized (HANDLES) {
            todo = new ArrayList<>(HANDLES);
            HANDLES.clear();
        }
        for (int i = todo.size() - 1; i >= 0; i--) {
            Closer c = todo.get(i).get();
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "nodekit: stop on exit failed: " + e.getMessage(), e);
            }
        }
    }
}
