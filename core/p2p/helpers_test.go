package p2p

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/peer"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func testSettings(mod ...func(*Settings)) Settings {
	s := Settings{
		Listen: []string{"tcp://127.0.0.1:0"}, OutboundSlots: 2, MaxPerIP: -1,
		Magic: []byte("test"), AppName: "p2ptest", AppVersion: "1.0.0",
		DiscoveryInterval: 50 * time.Millisecond, ReconnectMin: 10 * time.Millisecond, ReconnectMax: 100 * time.Millisecond,
		HandshakeTimeout: 2 * time.Second, DrainTimeout: time.Second, Logger: quiet,
	}
	for _, m := range mod {
		m(&s)
	}
	return s
}

// inbox records the chat messages a node's handler received.
type inbox struct {
	mu   sync.Mutex
	got  map[string]int
	wake chan struct{}
}

func newInbox() *inbox { return &inbox{got: map[string]int{}, wake: make(chan struct{}, 1)} }

func (b *inbox) handler(m Message) error {
	b.mu.Lock()
	b.got[string(m.Payload)]++
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
	return nil
}

// waitDistinct waits until n different messages have arrived, woken by
// each one, or fails after within.
func (b *inbox) waitDistinct(t testing.TB, n int, within time.Duration) {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		got := len(b.got)
		b.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-b.wake:
		case <-deadline.C:
			t.Fatalf("%d of %d messages within %s", got, n, within)
		}
	}
}

func (b *inbox) count(msg string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.got[msg]
}

// startNode starts a node with a relayed "chat" protocol and stops it at
// the end of the test.
func startNode(t testing.TB, s Settings) (*Node, *inbox) {
	t.Helper()
	n, err := New(s)
	require.NoError(t, err)
	box := newInbox()
	require.NoError(t, n.Register(Protocol{Command: "chat", MaxSize: 1024, Relay: true, Handler: box.handler}))
	require.NoError(t, n.Start())
	t.Cleanup(func() { n.Stop() })
	return n, box
}

func addrOf(t testing.TB, n *Node) string {
	t.Helper()
	a := n.Addrs()
	require.NotEmpty(t, a)
	return a[0]
}

// rawPeer dials a node with the bare peer package, as a foreign client.
func rawPeer(t testing.TB, addr string, nonce uint64) (*peer.Peer, error) {
	t.Helper()
	a, err := ParseAddr(addr)
	require.NoError(t, err)
	nc, err := net.Dial("tcp", a.HostPort)
	require.NoError(t, err)
	cfg := &peer.Config{Magic: peer.Magic([]byte("test")), Commands: map[string]uint32{"chat": 1024 + 8, CmdGetAddr: 0, CmdAddr: maxAddrPayload}}
	p, err := peer.New(nc, false, cfg)
	require.NoError(t, err)
	err = p.Handshake(context.Background(), peer.Version{Protocol: 1, AppName: "p2ptest", AppVersion: "1.0.0", Nonce: nonce}, nil)
	return p, err
}

// peersReach waits until n has exactly want connected peers, woken by each
// connect and disconnect (as WaitPeers is), or fails after 5 s.
func peersReach(t testing.TB, n *Node, what string, want int) {
	t.Helper()
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	for {
		n.mu.Lock()
		if n.changed == nil {
			n.changed = make(chan struct{})
		}
		have, wake := len(n.conns), n.changed
		n.mu.Unlock()
		if have == want {
			return
		}
		select {
		case <-wake:
		case <-deadline.C:
			t.Fatalf("not within 5 s: %s (%d peers, want %d)", what, have, want)
		}
	}
}

// eventually checks cond every 10 ms, failing after within: for what no
// single wake-up signals (a whole network converging, a ban score, the
// address book filling).
func eventually(t testing.TB, what string, within time.Duration, cond func() bool, detail ...func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			for _, d := range detail {
				what += ": " + d()
			}
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
