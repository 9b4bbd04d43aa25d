package nodekit

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type chatInbox struct {
	mu   sync.Mutex
	got  []string
	wake chan struct{}
}

func (c *chatInbox) OnMessage(peerID, command string, payload []byte) error {
	c.mu.Lock()
	c.got = append(c.got, command+":"+string(payload))
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	if string(payload) == "throw" {
		return errors.New("handler refuses")
	}
	return nil
}

func (c *chatInbox) wait(t *testing.T, msg string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		c.mu.Lock()
		for _, g := range c.got {
			if g == msg {
				c.mu.Unlock()
				return
			}
		}
		c.mu.Unlock()
		select {
		case <-c.wake:
		case <-deadline:
			t.Fatalf("no %q", msg)
		}
	}
}

func chatConfig() *NodeConfig {
	c := NewNodeConfig()
	c.AppName, c.AppVersion, c.Magic = "chat", "1.0.0", "chat"
	c.OutboundSlots, c.MaxPerIP = 1, -1
	c.ReconnectMinMillis, c.ReconnectMaxMillis = 10, 100
	c.AddListen("tcp://127.0.0.1:0")
	if err := c.RegisterMessage("chat", 1024, 0, true); err != nil {
		panic(err)
	}
	return c
}

func TestNodesExchangeMessagesThroughTheFacade(t *testing.T) {
	inA := &chatInbox{wake: make(chan struct{}, 1)}
	a, err := StartNode(chatConfig(), inA, nil)
	require.NoError(t, err)
	cb := chatConfig()
	cb.AddPeer(a.Addrs())
	inB := &chatInbox{wake: make(chan struct{}, 1)}
	b, err := StartNode(cb, inB, nil)
	require.NoError(t, err)
	require.True(t, b.WaitPeers(1, 5000))
	require.True(t, a.WaitPeers(1, 5000))

	n, err := b.Broadcast("chat", []byte("hi a"))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	inA.wait(t, "chat:hi a")

	peers := a.Peers()
	require.Equal(t, 1, peers.Len())
	require.Equal(t, "inbound", peers.Session(0))
	require.Positive(t, peers.MsgsRecv(0))
	require.Equal(t, "", peers.ID(5), "out of range reads as empty")
	require.NoError(t, a.Send(peers.ID(0), "chat", []byte("hi b")))
	inB.wait(t, "chat:hi b")

	require.Error(t, a.Send("nobody", "chat", nil))
	_, err = a.Broadcast("nosuch", nil)
	require.Error(t, err)

	require.True(t, b.Stop().IsOk())
	require.True(t, a.Stop().IsOk())
	require.True(t, a.Stop().IsOk(), "idempotent")
	require.True(t, a.Join().IsOk())
}

func TestStartNodeRejectsBadConfig(t *testing.T) {
	_, err := StartNode(nil, nil, nil)
	require.Error(t, err)
	c := chatConfig()
	c.Magic = "toolong"
	_, err = StartNode(c, nil, nil)
	require.ErrorContains(t, err, "Magic")
	c = chatConfig()
	require.Error(t, c.RegisterMessage("big", -1, 0, false))
	require.NoError(t, c.RegisterMessage("ping", 8, 0, false))
	_, err = StartNode(c, nil, nil)
	require.ErrorContains(t, err, "reserved")
}

func TestZeroValueNodeIsSafe(t *testing.T) {
	var n Node
	require.False(t, n.Stop().IsOk())
	require.Equal(t, KindIllegalState, n.Stop().Kind())
	require.Zero(t, n.Peers().Len())
	_, err := n.Broadcast("chat", nil)
	require.Error(t, err)
}

func TestADroppedNodeIsStopped(t *testing.T) {
	stopped := make(chan struct{})
	func() {
		n, err := StartNode(chatConfig(), nil, nil)
		require.NoError(t, err)
		inner := n.n
		go func() { inner.Join(); close(stopped) }()
	}()
	require.True(t, gcUntil(stopped), "a dropped node was not stopped")
}

func TestTLSNodesWithPinnedKeys(t *testing.T) {
	seed := func(b byte) []byte { s := make([]byte, 32); s[0] = b; return s }
	ca := chatConfig()
	ca.listen = []string{"tcp+tls://127.0.0.1:0"}
	require.NoError(t, ca.SetKeySeed(seed(1)))
	require.Error(t, ca.SetKeySeed([]byte("short")))
	cb := chatConfig()
	require.NoError(t, cb.SetKeySeed(seed(2)))
	// Learn b's ID from a first run with the same seed.
	probe, err := StartNode(cb, nil, nil)
	require.NoError(t, err)
	idB := probe.ID()
	require.True(t, probe.Stop().IsOk())
	ca.AddTrustedKey(idB)
	a, err := StartNode(ca, nil, nil)
	require.NoError(t, err)
	defer a.Stop()
	cb.AddPeer(a.Addrs())
	b, err := StartNode(cb, nil, nil)
	require.NoError(t, err)
	defer b.Stop()
	require.True(t, b.WaitPeers(1, 5000))
	require.Equal(t, a.ID(), b.Peers().ID(0))
	require.Equal(t, idB, b.ID(), "the same seed gives the same ID")
}
