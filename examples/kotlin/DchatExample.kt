// dchat on loopback: two p2p nodes, alice and bob; bob dials alice, and each
// collects the other's "chat" messages from a Flow (nodekit-ktx startNode).
// use {} stops each node.
//
//   make demo-kotlin-dchat
//   scripts/run-jvm-example.sh kotlin DchatExample
//
// Exits with status 1 if a message does not arrive within 10 s.
@file:JvmName("DchatExample")

import dev.nodekit.NodeConfig
import dev.nodekit.startNode
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import kotlin.system.exitProcess
import kotlin.time.Duration.Companion.seconds

private fun chatConfig(peer: String? = null) = NodeConfig().apply {
    appName = "dchat"
    appVersion = "1.0.0"
    magic = "dcht"
    outboundSlots = 1
    maxPerIP = -1 // both nodes are 127.0.0.1
    addListen("tcp://127.0.0.1:0") // any free port
    peer?.let { addPeer(it) }
    registerMessage("chat", 1024, 0.0, true) // at most 1 KiB, no rate limit
}

fun main() = runBlocking {
    val (alice, atAlice) = startNode(chatConfig())
    val (bob, atBob) = startNode(chatConfig(alice.addrs().split(",").first()))
    alice.use {
        bob.use {
            println("alice listens on ${alice.addrs()}")
            if (!bob.waitPeers(1, 10_000) || !alice.waitPeers(1, 10_000)) fail("the nodes did not connect")
            bob.broadcast("chat", "bob: hi alice".encodeToByteArray())
            val m = withTimeoutOrNull(10.seconds) { atAlice.first() } ?: fail("bob's message did not arrive")
            println("  alice <- ${m.payload?.decodeToString()}")
            alice.broadcast("chat", "alice: hi bob".encodeToByteArray())
            val r = withTimeoutOrNull(10.seconds) { atBob.first() } ?: fail("alice's message did not arrive")
            println("  bob <- ${r.payload?.decodeToString()}")
        }
    }
    println("both stopped")
}

private fun fail(why: String): Nothing {
    println("failed: $why")
    exitProcess(1)
}
