// A terminal chat on a p2p node, the Kotlin twin of examples/dchat (same
// network, same message format: they talk to each other). Received messages
// are a Flow; stdin is read on Dispatchers.IO; stop suspends.
//
//   go run ./examples/dchat --listen tcp://127.0.0.1:7001 --nick alice
//   scripts/run-jvm-example.sh kotlin chat.ChatExample --peer tcp://127.0.0.1:7001 --nick carol
//
// End of input (Ctrl-D) stops the node.
// (In package chat: the other examples already have a main(args) in the default package.)
@file:JvmName("ChatExample")

package chat

import dev.nodekit.NodeConfig
import dev.nodekit.NodekitException
import dev.nodekit.awaitStop
import dev.nodekit.orThrow
import dev.nodekit.startNode
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlin.system.exitProcess

private const val MAX_LINE = 1024

fun main(args: Array<String>) = runBlocking {
    val flags = args.toList().chunked(2).filter { it.size == 2 }
    val nick = flags.lastOrNull { it[0] == "--nick" }?.get(1) ?: "anon"
    val config = NodeConfig().apply {
        appName = "dchat"
        appVersion = "1.0.0"
        magic = "chat"
        maxPerIP = -1 // a chat on one machine: every peer is 127.0.0.1
        outboundSlots = 4
        addListen(flags.lastOrNull { it[0] == "--listen" }?.get(1) ?: "tcp://127.0.0.1:0")
        flags.filter { it[0] == "--peer" }.forEach { addPeer(it[1]) }
        flags.filter { it[0] == "--seed" }.forEach { addSeed(it[1]) }
        registerMessage("chat", MAX_LINE.toLong(), 20.0, true) // relayed: each node prints a line once
    }
    val (node, messages) = try {
        startNode(config)
    } catch (e: NodekitException) {
        System.err.println("chat: ${e.kind()}: ${e.message}")
        exitProcess(1)
    }
    System.err.println("chat: listening on ${node.addrs()}")
    launch { // ends when the node has stopped
        messages.collect { m ->
            val p = m.payload ?: return@collect
            val n = p[0].toInt() and 0xff
            if (p.size >= 1 + n) println("[${p.decodeToString(1, 1 + n)}] ${p.decodeToString(1 + n, p.size)}")
        }
    }
    val me = nick.encodeToByteArray()
    while (true) {
        val line = withContext(Dispatchers.IO) { readlnOrNull() } ?: break
        val msg = byteArrayOf(me.size.toByte()) + me + line.encodeToByteArray()
        if (msg.size > MAX_LINE) {
            System.err.println("chat: line too long")
            continue
        }
        node.broadcast("chat", msg)
        println("[$nick] $line")
    }
    node.awaitStop().orThrow()
}
