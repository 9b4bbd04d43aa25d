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

// NodeConfig configures StartNode: the p2p settings (see core/p2p.Settings)
// and the message types. Zero fields keep the defaults; addresses are
// "tcp://host:port" or "tcp+tls://host:port".
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

// NewNodeConfig returns an empty config.
func NewNodeConfig() *NodeConfig { return &NodeConfig{} }

// AddListen adds an address to accept peers on (port 0: any free port).
func (c *NodeConfig) AddListen(addr string) { c.listen = append(c.listen, addr) }

// AddPeer adds a manual peer: kept connected, reconnected with backoff.
func (c *NodeConfig) AddPeer(addr string) { c.peers = append(c.peers, addr) }

// AddSeed adds a seed, asked for addresses when the node knows none.
func (c *NodeConfig) AddSeed(addr string) { c.seeds = append(c.seeds, addr) }

// SetKeySeed sets the node's identity for tcp+tls: the 32-byte seed of an
// ed25519 key (keep it to keep the node's ID across runs; without it each
// start makes a new key).
func (c *NodeConfig) SetKeySeed(seed []byte) error {
	if len(seed) != ed25519.SeedSize {
		return fmt.Errorf("key seed: %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	c.key = ed25519.NewKeyFromSeed(seed)
	return nil
}

// AddTrustedKey pins a peer's ID (Node.id() of the other node, "key:" and 32
// hex digits): once any is added, the node talks only to tcp+tls peers with
// a listed key.
func (c *NodeConfig) AddTrustedKey(id string) { c.trusted = append(c.trusted, id) }

// RegisterMessage adds a message type: its command (1..12 printable ASCII
// bytes), the largest payload, a per-peer rate limit in messages per second
// (0: none) and whether broadcasts of it are relayed through the network
// (each node delivers it once). It is checked by StartNode.
func (c *NodeConfig) RegisterMessage(command string, maxSize int, ratePerSecond float64, relay bool) error {
	if maxSize < 0 || maxSize > 32<<20 {
		return fmt.Errorf("message %q: maxSize %d out of 0..%d", command, maxSize, 32<<20)
	}
	c.protos = append(c.protos, p2p.Protocol{Command: command, MaxSize: uint32(maxSize), Rate: ratePerSecond, Relay: relay})
	return nil
}

// MessageHandler receives every registered message, on a background thread
// (one per peer, so calls for different peers may overlap): the sender's
// peer id, the command and the payload, which Java owns. An exception
// disconnects that peer. Pass null to drop messages (relayed ones are still
// forwarded).
type MessageHandler interface {
	OnMessage(peerID string, command string, payload []byte) error
}

// Node is a running p2p node: see core/p2p. Broadcast and send messages,
// list its peers, and stop() it.
type Node struct{ *nodeHandle }

type nodeHandle struct {
	n           *p2p.Node
	sendTimeout time.Duration
	stopped     atomic.Bool
}

func millis(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

// StartNode starts a node and returns once it runs; a bad setting or a
// listener that cannot bind is an exception naming it. handler and logger
// may be null.
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

// Broadcast sends a message to every connected peer and returns how many
// accepted it (a peer with a full queue is skipped).
func (n *Node) Broadcast(command string, payload []byte) (sent int, err error) {
	defer guard(&err)
	if n.nodeHandle == nil {
		return 0, errNoNode
	}
	// gobind's byte[] is Java's memory only for the call; peers send it later.
	return n.n.Broadcast(command, append([]byte(nil), payload...))
}

// Send sends a message to one peer, waiting at most the config's
// SendTimeoutMillis for room in its queue.
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
// for the whole list, read with Len() and the indexed getters.
func (n *Node) Peers() *PeerList {
	if n.nodeHandle == nil {
		return &PeerList{}
	}
	return &PeerList{peers: n.n.Peers()}
}

// WaitPeers blocks until at least count peers are connected (true) or
// timeoutMillis pass (false).
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

// ID is the node's identity over tcp+tls: what its peers see as its id,
// and what they pass to AddTrustedKey.
func (n *Node) ID() string {
	if n.nodeHandle == nil {
		return ""
	}
	return n.n.ID()
}

// Dropped counts messages accepted for peers that disconnected before they
// were written.
func (n *Node) Dropped() int64 {
	if n.nodeHandle == nil {
		return 0
	}
	return int64(n.n.Stats().Dropped)
}

// Stop stops the node (stop accepting, stop dialing, drain, disconnect, save
// the address book) and returns the outcome; idempotent. From inside a
// MessageHandler it requests the stop and returns at once.
func (n *Node) Stop() (res *Result) {
	defer guardResult(&res)
	if n.nodeHandle == nil {
		return resultOf(errNoNode)
	}
	n.stopped.Store(true)
	return resultOf(n.n.Stop())
}

// Join waits for the node to end and returns the outcome.
func (n *Node) Join() (res *Result) {
	defer guardResult(&res)
	if n.nodeHandle == nil {
		return resultOf(errNoNode)
	}
	return resultOf(n.n.Join())
}

// Close stops the node, as Stop does, and throws a NodekitException if the
// Result is not ok (see Closer).
func (n *Node) Close() error { return errorOf(n.Stop()) }

// PeerList is a snapshot of a node's peers. Index from 0 to Len()-1; an index
// out of range reads as "" or 0.
type PeerList struct{ peers []p2p.PeerInfo }

// Len is the number of peers.
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
