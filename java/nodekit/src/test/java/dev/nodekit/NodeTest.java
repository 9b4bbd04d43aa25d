package dev.nodekit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two p2p nodes in one JVM chat over loopback through the bindings. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // hang guard only
class NodeTest {
    /** A received message: what reaches Java is bytes plus the peer id and command. */
    record Received(String peerId, String command, String text) {}

    static NodeConfig chatConfig() throws Exception {
        NodeConfig c = new NodeConfig();
        c.setAppName("jchat");
        c.setAppVersion("1.0.0");
        c.setMagic("jcht");
        c.setOutboundSlots(1);
        c.setMaxPerIP(-1); // every peer is 127.0.0.1
        c.setReconnectMinMillis(10);
        c.setReconnectMaxMillis(100);
        c.addListen("tcp://127.0.0.1:0");
        c.registerMessage("chat", 1024, 0, true);
        return c;
    }

    static MessageHandler into(BlockingQueue<Received> q) {
        return (peerId, command, payload) -> q.add(new Received(peerId, command, new String(payload, StandardCharsets.UTF_8)));
    }

    @Test
    void twoNodesExchangeChatMessages() throws Exception {
        BlockingQueue<Received> atA = new LinkedBlockingQueue<>();
        BlockingQueue<Received> atB = new LinkedBlockingQueue<>();
        Node a = Nodekit.startNode(chatConfig(), into(atA), null);
        NodeConfig cb = chatConfig();
        cb.addPeer(a.addrs());
        Node b = Nodekit.startNode(cb, into(atB), null);
        try {
            assertTrue(b.waitPeers(1, 10_000), "b connects to a");
            assertTrue(a.waitPeers(1, 10_000), "a sees b");

            assertEquals(1, b.broadcast("chat", "hello from b".getBytes(StandardCharsets.UTF_8)));
            Received r = atA.poll(10, TimeUnit.SECONDS);
            assertNotNull(r, "a received nothing");
            assertEquals("chat", r.command());
            assertEquals("hello from b", r.text());

            PeerList peers = a.peers(); // one call, one object for the whole list
            assertEquals(1, peers.len());
            assertEquals(r.peerId(), peers.id(0));
            assertEquals("inbound", peers.session(0));
            a.send(peers.id(0), "chat", "hello from a".getBytes(StandardCharsets.UTF_8));
            Received back = atB.poll(10, TimeUnit.SECONDS);
            assertNotNull(back, "b received nothing");
            assertEquals("hello from a", back.text());
            assertEquals("manual", b.peers().session(0));
        } finally {
            Result rb = b.stop();
            Result ra = a.stop();
            assertTrue(rb.isOk(), rb.toString());
            assertTrue(ra.isOk(), ra.toString());
        }
        assertTrue(a.join().isOk());
    }

    @Test
    void aNullHandlerDropsMessagesAndBadSettingsThrow() throws Exception {
        Node a = Nodekit.startNode(chatConfig(), null, null);
        try {
            assertEquals(0, a.broadcast("chat", new byte[0]), "no peers yet");
            assertThrows(Exception.class, () -> a.broadcast("nosuch", new byte[0]));
        } finally {
            assertTrue(a.stop().isOk());
        }
        NodeConfig bad = chatConfig();
        bad.setMagic("x");
        Exception e = assertThrows(Exception.class, () -> Nodekit.startNode(bad, null, null));
        assertTrue(e.getMessage().contains("Magic"), e.getMessage());
    }

    @Test
    void tlsNodesTalkOnlyToPinnedKeys() throws Exception {
        byte[] seedA = new byte[32];
        byte[] seedB = new byte[32];
        seedA[0] = 1;
        seedB[0] = 2;
        NodeConfig cb = chatConfig();
        cb.setKeySeed(seedB);
        Node probe = Nodekit.startNode(cb, null, null); // learn b's id: the seed fixes it
        String idB = probe.id();
        assertTrue(probe.stop().isOk());

        NodeConfig ca = new NodeConfig();
        ca.setAppName("jchat");
        ca.setAppVersion("1.0.0");
        ca.setMagic("jcht");
        ca.setOutboundSlots(1);
        ca.setMaxPerIP(-1);
        ca.addListen("tcp+tls://127.0.0.1:0");
        ca.registerMessage("chat", 1024, 0, true);
        ca.setKeySeed(seedA);
        ca.addTrustedKey(idB);
        Node a = Nodekit.startNode(ca, null, null);
        cb.addPeer(a.addrs());
        Node b = Nodekit.startNode(cb, null, null);
        try {
            assertTrue(b.waitPeers(1, 10_000));
            assertEquals(a.id(), b.peers().id(0), "over tcp+tls a peer's id is its key");
            assertEquals(idB, b.id());
        } finally {
            assertTrue(b.stop().isOk());
            assertTrue(a.stop().isOk());
        }
    }
}
