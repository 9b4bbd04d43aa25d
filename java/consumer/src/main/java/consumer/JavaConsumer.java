package consumer;

import dev.nodekit.EventBatch;
import dev.nodekit.Group;
import dev.nodekit.Kind;
import dev.nodekit.Nodekit;
import dev.nodekit.NodekitException;
import dev.nodekit.Processor;
import dev.nodekit.StopOnExit;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Uses dev.nodekit:nodekit from plain Java, as an app that depends on it would:
 * try-with-resources, a typed exception, the batch helpers, stop on exit.
 * Exits 1 on a failed check.
 */
public final class JavaConsumer {
    public static void main(String[] args) throws Exception {
        try (Group g = new Group()) {
            g.add("svc", null);
            try {
                g.add("svc", null);
                fail("a duplicate name was accepted");
            } catch (NodekitException e) {
                check(e.kind() == Kind.ILLEGAL_STATE, "duplicate name: " + e);
            }
            NodekitException.check(g.start());
        }

        CountDownLatch handled = new CountDownLatch(2);
        Processor p = StopOnExit.register(Nodekit.startBatchProcessor(null, null, (data, count) -> {
            for (byte[] e : EventBatch.unpack(data, count)) {
                handled.countDown();
            }
            return count;
        }, null));
        byte[] a = "a".getBytes(StandardCharsets.UTF_8);
        p.submitBatch(EventBatch.pack(List.of(a, a)), 2);
        check(handled.await(10, TimeUnit.SECONDS), "the batch handler did not get both events");
        System.out.println("java consumer: ok (nodekit " + Nodekit.version() + "; the processor stops on exit)");
    }

    private static void check(boolean ok, String why) {
        if (!ok) {
            fail(why);
        }
    }

    private static void fail(String why) {
        System.err.println("java consumer: " + why);
        System.exit(1);
    }
}
