import dev.nodekit.MessageHandler;
import dev.nodekit.Node;
import dev.nodekit.NodeConfig;
import dev.nodekit.Nodekit;
import dev.nodekit.NodekitException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * dchat on loopback: two p2p nodes, alice and bob, each in try-with-resources;
 * bob dials alice, and they chat with one "chat" message each.
 *
 * <pre>
 *   make demo-java-dchat
 *   scripts/run-jvm-example.sh java DchatExample
 * </pre>
 *
 * Exits with status 1 if a message does not arrive within 10 s.
 */
public final class DchatExample {
    static NodeConfig chatConfig(String peer) throws Exception {
        NodeConfig c = new NodeConfig();
        c.setAppName("dchat");
        c.setAppVersion("1.0.0");
        c.setMagic("dcht");
        c.setOutboundSlots(1);
        c.setMaxPerIP(-1); // both nodes are 127.0.0.1
        c.addListen("tcp://127.0.0.1:0"); // any free port
        if (peer != null) {
            c.addPeer(peer);
        }
        c.registerMessage("chat", 1024, 0, true); // at most 1 KiB, no rate limit
        return c;
    }

    /** Prints each message; the handler runs on a thread that reads from the sending peer. */
    static MessageHandler printer(String me, BlockingQueue<String> inbox) {
        return (peerId, command, payload) -> {
            String text = new String(payload, StandardCharsets.UTF_8);
            System.out.println("  " + me + " <- " + text);
            inbox.add(text);
        };
    }

    public static void main(String[] args) throws Exception {
        BlockingQueue<String> atAlice = new LinkedBlockingQueue<>();
        BlockingQueue<String> atBob = new LinkedBlockingQueue<>();
        try (Node alice = Nodekit.startNode(chatConfig(null), printer("alice", atAlice), null);
                Node bob = Nodekit.startNode(chatConfig(alice.addrs().split(",")[0]), printer("bob", atBob), null)) {
            System.out.println("alice listens on " + alice.addrs());
            if (!bob.waitPeers(1, 10_000) || !alice.waitPeers(1, 10_000)) {
                fail("the nodes did not connect");
            }
            bob.broadcast("chat", "bob: hi alice".getBytes(StandardCharsets.UTF_8));
            expect(atAlice);
            alice.broadcast("chat", "alice: hi bob, 1 peer here".getBytes(StandardCharsets.UTF_8));
            expect(atBob);
        } catch (NodekitException e) { // a failed start or stop, with its kind
            fail(e.toString());
        }
        System.out.println("both stopped");
    }

    private static void expect(BlockingQueue<String> inbox) throws InterruptedException {
        if (inbox.poll(10, TimeUnit.SECONDS) == null) {
            fail("a message did not arrive");
        }
    }

    private static void fail(String why) {
        System.out.println("failed: " + why);
        System.exit(1);
    }
}
