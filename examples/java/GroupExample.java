import dev.nodekit.Event;
import dev.nodekit.Group;
import dev.nodekit.NodekitException;
import dev.nodekit.Result;
import dev.nodekit.Service;
import dev.nodekit.State;

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
        try (Group group = new Group()) { // close() = stop(), in reverse order
            // Events arrive in order on the observer's own thread, so they may
            // interleave with what the services print.
            group.observe(0, Event.observer(e -> System.out.printf("event: %-7s %s -> %s after %.1f ms%s%n",
                    e.getService(), State.of(e.getFrom()), State.of(e.getTo()),
                    e.getDurationNanos() / 1e6, e.getError().isEmpty() ? "" : " (" + e.getError() + ")")));
            group.add("storage", new Chatty("storage")); // started first, stopped last
            group.add("network", new Chatty("network"));
            Result started = group.start(); // blocks until both are running
            System.out.println("start: " + started);
            NodekitException.check(started);
        } catch (NodekitException e) { // a failed start, add or stop, with its kind
            System.err.println("group: " + e.kind() + ": " + e.getMessage());
            System.exit(1);
        } catch (Exception e) {
            System.err.println("group: " + e);
            System.exit(1);
        }
        System.out.println("stop: ok");
    }
}
