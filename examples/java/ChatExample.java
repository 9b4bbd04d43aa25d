import dev.nodekit.Node;
import dev.nodekit.NodeConfig;
import dev.nodekit.Nodekit;
import dev.nodekit.NodekitException;
import dev.nodekit.StopOnExit;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A terminal chat on a p2p node, the Java twin of examples/dchat (same network,
 * same message format: they talk to each other). Every line typed is broadcast,
 * every line received is printed as "[nick] text".
 *
 * <pre>
 *   go run ./examples/dchat --listen tcp://127.0.0.1:7001 --nick alice
 *   scripts/run-jvm-example.sh java ChatExample --peer tcp://127.0.0.1:7001 --nick bob
 * </pre>
 *
 * End of input (Ctrl-D) stops the node; so does Ctrl-C (StopOnExit).
 */
public final class ChatExample {
    private static final int MAX_LINE = 1024;

    public static void main(String[] args) throws Exception {
        NodeConfig config = new NodeConfig();
        config.setAppName("dchat");
        config.setAppVersion("1.0.0");
        config.setMagic("chat");
        config.setMaxPerIP(-1); // a chat on one machine: every peer is 127.0.0.1
        config.setOutboundSlots(4);
        String nick = "anon";
        String listen = "tcp://127.0.0.1:0";
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--nick" -> nick = args[i + 1];
                case "--listen" -> listen = args[i + 1];
                case "--peer" -> config.addPeer(args[i + 1]);
                case "--seed" -> config.addSeed(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown flag " + args[i]);
            }
        }
        config.addListen(listen);
        config.registerMessage("chat", MAX_LINE, 20, true); // relayed: each node prints a line once
        byte[] me = nick.getBytes(StandardCharsets.UTF_8);

        // Received lines arrive on a Go thread per peer: print them whole.
        try (Node node = StopOnExit.register(Nodekit.startNode(config, (peer, command, payload) -> {
            if (payload == null || payload.length < 1 + (payload[0] & 0xff)) {
                throw new IllegalArgumentException("malformed chat message"); // disconnects that peer
            }
            int n = payload[0] & 0xff;
            String from = new String(payload, 1, n, StandardCharsets.UTF_8);
            String text = new String(payload, 1 + n, payload.length - 1 - n, StandardCharsets.UTF_8);
            System.out.println("[" + from + "] " + text);
        }, null))) {
            System.err.println("chat: listening on " + node.addrs());
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                byte[] text = line.getBytes(StandardCharsets.UTF_8);
                byte[] msg = Arrays.copyOf(new byte[] {(byte) me.length}, 1 + me.length + text.length);
                System.arraycopy(me, 0, msg, 1, me.length);
                System.arraycopy(text, 0, msg, 1 + me.length, text.length);
                if (msg.length > MAX_LINE) {
                    System.err.println("chat: line too long");
                    continue;
                }
                node.broadcast("chat", msg);
                System.out.println("[" + nick + "] " + line);
            }
        } catch (NodekitException e) { // a bad setting, a port in use, a failed stop
            System.err.println("chat: " + e.kind() + ": " + e.getMessage());
            System.exit(1);
        }
    }
}
