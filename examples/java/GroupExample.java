import dev.nodekit.Event;
import dev.nodekit.Group;
import dev.nodekit.Nodekit;
import dev.nodekit.Result;
import dev.nodekit.Service;

/**
 * A Group of two Java services, started in order and stopped in reverse, with
 * an observer that prints every lifecycle event.
 *
 * <pre>
 *   scripts/run-jvm-example.sh java GroupExample
 * </pre>
 *
 * Exits with status 1 if start() or stop() reports an error.
 */
public final class GroupExample {

    /** A service that only says what it is doing. start() and stop() run on a background thread. */
    static final class Chatty implements Service {
        private final String name;

        Chatty(String name) {
            this.name = name;
        }

        @Override
        public void start() throws Exception {
            System.out.println("  " + name + ": starting on " + Thread.currentThread().getName());
            Thread.sleep(20); // pretend to open something
        }

        @Override
        public void stop() {
            System.out.println("  " + name + ": stopping");
        }
    }

    public static void main(String[] args) {
        Group group = new Group();
        // Events arrive in order on the observer's own thread, so they may
        // interleave with what the services print.
        group.observe(0, (Event e) -> System.out.printf("event: %-7s %s -> %s after %.1f ms%s%n",
                e.getService(), Nodekit.stateName(e.getFrom()), Nodekit.stateName(e.getTo()),
                e.getDurationNanos() / 1e6, e.getError().isEmpty() ? "" : " (" + e.getError() + ")"));
        try {
            group.add("storage", new Chatty("storage")); // started first, stopped last
            group.add("network", new Chatty("network"));
        } catch (Exception e) {
            System.err.println("group: " + e.getMessage());
            System.exit(1);
        }

        Result started = group.start(); // blocks until both are running
        System.out.println("start: " + started);
        Result stopped = group.stop(); // reverse order; the same outcome as join()
        System.out.println("stop: " + stopped);
        if (!started.isOk() || !stopped.isOk()) {
            System.exit(1);
        }
    }
}
