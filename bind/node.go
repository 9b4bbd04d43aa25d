package nodekit

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"nodekit.dev/nodekit/core/p2p"
)

// NodeConfig configures Nodekit.startNode: the p2p settings, set with the
// generated setters (setAppName, ...), and the message types. A field left
// at 0 or "" keeps its default; addresses are "tcp://host:port" or
// "tcp+tls://host:port". Not thread-safe: fill it in on one thread, then
// start; the node copies it, so a later change has no effect.
type NodeConfig struct {
	AppName    string // required
	AppVersion string // "major.minor[.patch]", required
	Magic      string // the network's 4 bytes, required
	UserAgent  string
	// OutboundSlots is how many outbound peers to keep (0 only with a manual
	// peer); MaxInbound and MaxPerIP cap inbound and per-IP connections
	// (0: default, negative: none / no cap).
	OutboundSlots, MaxInbound, MaxPerIP int
	// DataDir keeps the address book; "" keeps none.
	DataDir string

	HandshakeTimeoutMillis  int64
	DialTimeoutMillis       int64
	PingIntervalMillis      int64
	IdleTimeoutMillis       int64
	DiscoveryIntervalMillis int64
	ReconnectMinMillis      int64
	ReconnectMaxMillis      int64
	// SendTimeoutMillis bounds how long send() waits for room in a peer's
	// queue (default 1000).
	SendTimeoutMillis int64

	listen, peers, seeds []string
	trusted              []string
	key                  ed25519.PrivateKey
	protos               []p2p.Protocol
}

// NewNodeConfig returns an empty config (the same as new NodeConfig()).
func NewNodeConfig() *NodeConfig { return &NodeConfig{} }

// AddListen adds an address to accept peers on (port 0: any free port).
func (c *NodeConfig) AddListen(addr string) { c.listen = append(c.listen, addr) }

// AddPeer adds a manual peer: kept connected, reconnected with backoff.
func (c *NodeConfig) AddPeer(addr string) { c.peers = append(c.peers, addr) }

// AddSeed adds a seed, asked for addresses when the node knows none.
func (c *NodeConfig) AddSeed(addr string) { c.seeds = append(c.seeds, addr) }

// SetKeySeed sets the node's identity for tcp+tls: the 32-byte seed of an
// ed25519 key (keep it to keep the node's id() across runs; without it each
// start makes a new key). It throws a NodekitException if seed is not 32
// bytes.
func (c *NodeConfig) SetKeySeed(seed []byte) error {
	if len(seed) != ed25519.SeedSize {
		return fmt.Errorf("key seed: %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	c.key = ed25519.NewKeyFromSeed(seed)
	return nil
}

// AddTrustedKey pins a peer's id (Node.id() of the other node, "key:" and 32
// hex digits): once any is added, the node talks only to tcp+tls peers with
// a listed key.
func (c *NodeConfig) AddTrustedKey(id string) { c.trusted = append(c.trusted, id) }

// RegisterMessage adds a message type: its command (1..12 printable ASCII
// bytes), the largest payload, a per-peer rate limit in messages per second
// (0: none) and whether broadcasts of it are relayed through the network
// (each node delivers it once). It throws a NodekitException for a maxSize
// out of range; the rest is checked by startNode, which throws.
func (c *NodeConfig) RegisterMessage(command string, maxSize int, ratePerSecond float64, relay bool) error {
	if maxSize < 0 || maxSize > 32<<20 {
		return fmt.Errorf("message %q: maxSize %d out of 0..%d", command, maxSize, 32<<20)
	}
	c.protos = append(c.protos, p2p.Protocol{Command: command, MaxSize: uint32(maxSize), Rate: ratePerSecond, Relay: relay})
	return nil
}

// MessageHandler receives every registered message: onMessage() is
// called on background threads owned by Go (one per peer, so calls for
// different peers may overlap: it must be thread-safe; calls for one peer
// come in order), with the sender's peer id, the command and the payload,
// which Java owns. A slow handler holds back that peer's messages only. It
// may call send() and broadcast(); stop() and join() from it return
// KindCalledFromCallback at once. An exception disconnects that peer. Pass
// null to drop messages (relayed ones are still forwarded).
type MessageHandler interface {
	// OnMessage receives one message from peer peerID (the id that
	// send() takes). payload is a fresh byte[] that Java owns (null if
	// empty). An exception disconnects that peer.
	OnMessage(peerID string, command string, payload []byte) error
}

// Node is a running p2p node, from Nodekit.startNode: it accepts, dials and
// keeps peers on background threads. Broadcast and send messages, list its
// peers, and stop() it (or use try-with-resources). Every method may be
// called from any thread; a Node made with new throws KindIllegalState (or
// reads as empty).
type Node struct{ *nodeHandle }

type nodeHandle struct {
	n           *p2p.Node
	sendTimeout time.Duration
	stopped     atomic.Bool
}

func millis(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

// StartNode starts a node and blocks until it runs (its listeners bound); a
// bad setting or a listener that cannot bind throws a NodekitException
// naming it. handler and logger may be null. Any thread.
func StartNode(config *NodeConfig, handler MessageHandler, logger Logger) (node *Node, err error) {
	defer guard(&err)
	if config == nil {
		return nil, fmt.Errorf("StartNode: config is null: %w", errIllegalState)
	}
	c := config
	n, err := p2p.New(p2p.Settings{
		Listen: append([]string(nil), c.listen...), Peers: append([]string(nil), c.peers...),
		Seeds: append([]string(nil), c.seeds...), OutboundSlots: c.OutboundSlots,
		MaxInbound: c.MaxInbound, MaxPerIP: c.MaxPerIP, Magic: []byte(c.Magic),
		AppName: c.AppName, AppVersion: c.AppVersion, UserAgent: c.UserAgent, DataDir: c.DataDir,
		HandshakeTimeout: millis(c.HandshakeTimeoutMillis), DialTimeout: millis(c.DialTimeoutMillis),
		PingInterval: millis(c.PingIntervalMillis), IdleTimeout: millis(c.IdleTimeoutMillis),
		DiscoveryInterval: millis(c.DiscoveryIntervalMillis),
		ReconnectMin:      millis(c.ReconnectMinMillis), ReconnectMax: millis(c.ReconnectMaxMillis),
		Key: c.key, TrustedKeys: append([]string(nil), c.trusted...),
		Logger: slogFor(logger),
	})
	if err != nil {
		return nil, err
	}
	for _, p := range c.protos {
		if handler != nil {
			p.Handler = func(m p2p.Message) error { return handler.OnMessage(m.Peer, m.Command, m.Payload) }
		}
		if err := n.Register(p); err != nil {
			return nil, err
		}
	}
	if err := n.Start(); err != nil {
		return nil, err
	}
	h := &nodeHandle{n: n, sendTimeout: time.Second}
	if c.SendTimeoutMillis > 0 {
		h.sendTimeout = millis(c.SendTimeoutMillis)
	}
	node = &Node{h}
	runtime.AddCleanup(node, (*nodeHandle).dropped, h)
	return node, nil
}

// dropped runs when Go collects a Node that Java no longer references.
func (h *nodeHandle) dropped() {
	if !h.stopped.Load() {
		go h.n.Stop() //nolint:errcheck // nobody is left to receive the result
	}
}

var errNoNode = fmt.Errorf("node not started: use Nodekit.startNode: %w", errIllegalState)

// Broadcast queues a message for every connected peer and returns how many
// accepted it (a peer with a full queue is skipped); it never blocks. It
// throws a NodekitException for a command that was not registered or a
// payload over its size. payload is copied.
func (n *Node) Broadcast(command string, payload []byte) (sent int, err error) {
	defer guard(&err)
	if n.nodeHandle == nil {
		return 0, errNoNode
	}
	// gobind's byte[] is Java's memory only for the call; peers send it later.
	return n.n.Broadcast(command, append([]byte(nil), payload...))
}

// Send queues a message for one peer, blocking at most the config's
// SendTimeoutMillis for room in its queue. It throws a NodekitException if
// the peer is not connected, the command is not registered, the payload is
// too large, or the wait timed out. payload is copied.
func (n *Node) Send(peerID string, command string, payload []byte) (err error) {
	defer guard(&err)
	if n.nodeHandle == nil {
		return errNoNode
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.sendTimeout)
	defer cancel()
	return n.n.Send(ctx, peerID, command, append([]byte(nil), payload...)) // see Broadcast
}

// Peers returns a snapshot of the connected peers in one call: one object
// for the whole list, read with len() and the indexed getters. Never blocks.
func (n *Node) Peers() *PeerList {
	if n.nodeHandle == nil {
		return &PeerList{}
	}
	return &PeerList{peers: n.n.Peers()}
}

// WaitPeers blocks the calling thread until at least count peers are
// connected (true) or timeoutMillis pass (false). Never throws.
func (n *Node) WaitPeers(count int, timeoutMillis int64) bool {
	if n.nodeHandle == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), millis(timeoutMillis))
	defer cancel()
	return n.n.WaitPeers(ctx, count) == nil
}

// Addrs returns the addresses the node listens on, comma-separated.
func (n *Node) Addrs() string {
	if n.nodeHandle == nil {
		return ""
	}
	return strings.Join(n.n.Addrs(), ",")
}

// ID (Java: id()) is the node's identity over tcp+tls: what its peers see as
// its id, and what they pass to NodeConfig.addTrustedKey.
func (n *Node) ID() string {
	if n.nodeHandle == nil {
		return ""
	}
	return n.n.ID()
}

// Dropped counts messages accepted for peers that disconnected before they
// were written. Never blocks.
func (n *Node) Dropped() int64 {
	if n.nodeHandle == nil {
		return 0
	}
	return int64(n.n.Stats().Dropped)
}

// Stop stops the node (stop accepting, stop dialing, drain, disconnect, save
// the address book), blocking until it has stopped, and returns the outcome;
// it never throws, and is idempotent and safe from any thread. From inside a
// MessageHandler it requests the stop and returns KindCalledFromCallback at
// once. Use stopAsync not to block.
func (n *Node) Stop() (res *Result) {
	defer guardResult(&res)
	if n.nodeHandle == nil {
		return resultOf(errNoNode)
	}
	n.stopped.Store(true)
	return resultOf(n.n.Stop())
}

// Join blocks the calling thread until the node has ended and returns the
// outcome (the same Result as stop()); it never throws. From inside a
// MessageHandler it returns KindCalledFromCallback at once.
func (n *Node) Join() (res *Result) {
	defer guardResult(&res)
	if n.nodeHandle == nil {
		return resultOf(errNoNode)
	}
	return resultOf(n.n.Join())
}

// Close is stop() for try-with-resources: it blocks as stop() does and
// throws a NodekitException with the Result's kind and message if that
// Result is not ok. Any thread; idempotent.
func (n *Node) Close() error { return errorOf(n.Stop()) }

// PeerList is a snapshot of a node's peers, from Node.peers(): it does not
// change. Index from 0 to len()-1; an index out of range reads as "" or 0,
// never throws.
type PeerList struct{ peers []p2p.PeerInfo }

// Len (Java: len()) is the number of peers.
func (l *PeerList) Len() int { return len(l.peers) }

func (l *PeerList) at(i int) *p2p.PeerInfo {
	if i < 0 || i >= len(l.peers) {
		return &p2p.PeerInfo{}
	}
	return &l.peers[i]
}

// ID is peer i's id (send() takes it).
func (l *PeerList) ID(i int) string { return l.at(i).ID }

// RemoteAddr is peer i's remote address.
func (l *PeerList) RemoteAddr(i int) string { return l.at(i).RemoteAddr }

// ListenAddr is the address peer i announced ("" if none).
func (l *PeerList) ListenAddr(i int) string { return l.at(i).ListenAddr }

// Session is "inbound", "outbound", "manual" or "seed".
func (l *PeerList) Session(i int) string { return l.at(i).Session }

// UserAgent is what peer i sent in its handshake.
func (l *PeerList) UserAgent(i int) string { return l.at(i).Version.UserAgent }

// MsgsSent counts messages sent to peer i (handshake included).
func (l *PeerList) MsgsSent(i int) int64 { return int64(l.at(i).Stats.MsgsSent) }

// MsgsRecv counts messages received from peer i.
func (l *PeerList) MsgsRecv(i int) int64 { return int64(l.at(i).Stats.MsgsRecv) }

// BytesSent counts bytes sent to peer i, frame headers included.
func (l *PeerList) BytesSent(i int) int64 { return int64(l.at(i).Stats.BytesSent) }

// BytesRecv counts bytes received from peer i.
func (l *PeerList) BytesRecv(i int) int64 { return int64(l.at(i).Stats.BytesRecv) }

// Dropped counts messages accepted for peer i and not written (yet: only a
// disconnect drops).
func (l *PeerList) Dropped(i int) int64 { return int64(l.at(i).Stats.Dropped) }

// RTTMicros is the last ping round trip to peer i (0 before one).
func (l *PeerList) RTTMicros(i int) int64 { return l.at(i).Stats.RTT.Microseconds() }

// ConnectedSinceMillis is when peer i's handshake completed (Unix ms).
func (l *PeerList) ConnectedSinceMillis(i int) int64 { return l.at(i).Stats.ConnectedSince.UnixMilli() }

// JoinAsync is join() without blocking: it returns at once and calls
// cb.onResult with join()'s Result, on a Go thread, when the node has ended
// (see Processor.joinAsync). cb may be null. Cancelling drops cb at once;
// Go's wait for the node ends with the node. Never throws.
func (n *Node) JoinAsync(cb ResultCallback) *Pending {
	if n == nil || n.nodeHandle == nil {
		return joinAsync(nil, now(resultOf(errNoNode)), cb)
	}
	pend := newPending(cb)
	h := n.nodeHandle // not n: a waiting goroutine must not keep a dropped Node alive
	go func() {
		err := h.n.Join()
		pend.deliver(resultOf(err))
	}()
	return pend
}

// StopAsync is stop() without blocking: it starts the stop, returns at once,
// and calls cb.onResult with stop()'s Result on a Go thread (see
// Processor.stopAsync). cb may be null. Never throws; any thread.
func (n *Node) StopAsync(cb ResultCallback) *Pending {
	pend := newPending(cb)
	go func() { pend.deliver(n.Stop()) }()
	return pend
}
