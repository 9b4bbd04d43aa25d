package p2p

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/lifecycle"
	"nodekit.dev/nodekit/core/peer"
)

func TestBadSettingsNameTheSetting(t *testing.T) {
	cases := map[string]func(*Settings){
		"Magic":            func(s *Settings) { s.Magic = []byte("abc") },
		"OutboundSlots":    func(s *Settings) { s.OutboundSlots = 0 },
		"Listen[0]":        func(s *Settings) { s.Listen = []string{"tcp://127.0.0.1:port"} },
		"Peers[1]":         func(s *Settings) { s.Peers = []string{"127.0.0.1:1", "udp://127.0.0.1:2"} },
		"Seeds[0]":         func(s *Settings) { s.Seeds = []string{"no-port"} },
		"AppVersion":       func(s *Settings) { s.AppVersion = "v1" },
		"AppName":          func(s *Settings) { s.AppName = "" },
		"HandshakeTimeout": func(s *Settings) { s.HandshakeTimeout = -time.Second },
		"ReconnectMax":     func(s *Settings) { s.ReconnectMin, s.ReconnectMax = time.Minute, time.Second },
		"Key":              func(s *Settings) { s.Key = ed25519.PrivateKey("short") },
		"ExternalAddr":     func(s *Settings) { s.ExternalAddr = "tcp://nowhere" },
		"MinProtocol":      func(s *Settings) { s.MinProtocol = 5 },
	}
	for setting, mod := range cases {
		t.Run(setting, func(t *testing.T) {
			_, err := New(testSettings(mod))
			var se *SettingError
			require.ErrorAs(t, err, &se)
			require.Equal(t, setting, se.Setting)
			require.Contains(t, err.Error(), setting)
		})
	}
	_, err := New(testSettings(func(s *Settings) { s.OutboundSlots = 0; s.Peers = []string{"127.0.0.1:1"} }))
	require.NoError(t, err, "zero slots with a manual peer is valid")
}

func TestStartFailsOnBusyPortAndCorruptBook(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	n, err := New(testSettings(func(s *Settings) { s.Listen = []string{"tcp://" + ln.Addr().String()} }))
	require.NoError(t, err)
	err = n.Start()
	require.ErrorContains(t, err, ln.Addr().String())

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, bookKey), []byte("garbage"), 0o600))
	n, err = New(testSettings(func(s *Settings) { s.DataDir = dir }))
	require.NoError(t, err)
	err = n.Start()
	require.ErrorContains(t, err, filepath.Join(dir, bookKey))
	require.Nil(t, n.Addrs(), "a failed start leaves nothing listening")
}

func TestAddressBookIsSavedOnStopAndLoadedOnStart(t *testing.T) {
	dir := t.TempDir()
	seed, _ := startNode(t, testSettings())
	other, _ := startNode(t, testSettings(func(s *Settings) { s.Peers = []string{addrOf(t, seed)} }))
	_ = other
	n, err := New(testSettings(func(s *Settings) { s.DataDir = dir; s.Seeds = []string{addrOf(t, seed)} }))
	require.NoError(t, err)
	require.NoError(t, n.Start())
	eventually(t, "the seed gave an address", 5*time.Second, func() bool { u, tr := n.book.Len(); return u+tr > 0 })
	require.NoError(t, n.Stop())

	n2, err := New(testSettings(func(s *Settings) { s.DataDir = dir; s.OutboundSlots = 1; s.Peers = nil }))
	require.NoError(t, err)
	require.NoError(t, n2.Start())
	defer n2.Stop()
	st := n2.Stats()
	require.Positive(t, st.Untried+st.Tried, "the saved book is loaded on start")
}

func TestManualPeerReconnectsWithBackoff(t *testing.T) {
	a, _ := startNode(t, testSettings())
	addr := addrOf(t, a)
	b, _ := startNode(t, testSettings(func(s *Settings) { s.Peers = []string{addr}; s.OutboundSlots = 0 }))
	peersReach(t, b, "b connects to a", 1)
	require.Equal(t, SessionManual, b.Peers()[0].Session)
	require.NoError(t, a.Stop())
	peersReach(t, b, "b notices", 0)
	a2, _ := startNode(t, testSettings(func(s *Settings) { s.Listen = []string{addr} }))
	peersReach(t, a2, "b reconnects to the restarted a", 1)
}

func TestInboundLimitsRejectWithAReason(t *testing.T) {
	none, _ := startNode(t, testSettings(func(s *Settings) { s.MaxInbound = -1 }))
	_, err := rawPeer(t, addrOf(t, none), 10)
	var re *peer.RejectError
	require.ErrorAs(t, err, &re)
	require.Equal(t, peer.RejectFull, re.Code)
	require.ErrorIs(t, err, peer.ErrRejected)

	// The only inbound slot is a handshake in flight: no connected peer can
	// give way, so the newcomer is refused.
	n, _ := startNode(t, testSettings(func(s *Settings) { s.MaxInbound = 1 }))
	a, err := ParseAddr(addrOf(t, n))
	require.NoError(t, err)
	silent, err := net.Dial("tcp", a.HostPort)
	require.NoError(t, err)
	defer silent.Close()
	eventually(t, "the silent connection holds the slot", 5*time.Second, func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		return n.nIn == 1
	})
	_, err = rawPeer(t, addrOf(t, n), 12)
	require.ErrorAs(t, err, &re)
	require.Equal(t, peer.RejectFull, re.Code)
	require.Contains(t, re.Reason, "limit 1")

	m, _ := startNode(t, testSettings(func(s *Settings) { s.MaxPerIP = 1 }))
	q1, err := rawPeer(t, addrOf(t, m), 21)
	require.NoError(t, err)
	defer q1.Disconnect()
	_, err = rawPeer(t, addrOf(t, m), 22)
	require.ErrorAs(t, err, &re)
	require.Equal(t, peer.RejectTooManyIP, re.Code)

	// The same node twice: the second connection is a duplicate.
	_, err = rawPeer(t, addrOf(t, m), 21)
	require.ErrorAs(t, err, &re)
	require.Contains(t, []peer.RejectCode{peer.RejectTooManyIP, peer.RejectDuplicate}, re.Code)
}

// runRaw runs a raw peer until it is disconnected; the returned func
// disconnects it and waits.
func runRaw(p *peer.Peer) func() {
	done := make(chan struct{})
	go func() { defer close(done); p.Run(context.Background()) }()
	return func() { p.Disconnect(); <-done }
}

func TestAFullNodeEvictsItsYoungestInboundPeerForANewcomer(t *testing.T) {
	n, _ := startNode(t, testSettings(func(s *Settings) { s.MaxInbound = 2 }))
	var stops []func()
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	var ps []*peer.Peer
	for i := range 2 {
		p, err := rawPeer(t, addrOf(t, n), uint64(31+i))
		require.NoError(t, err)
		stops = append(stops, runRaw(p))
		ps = append(ps, p)
		peersReach(t, n, "registered in order", i+1)
	}
	p3, err := rawPeer(t, addrOf(t, n), 33)
	require.NoError(t, err, "a full node admits a newcomer")
	stops = append(stops, runRaw(p3))
	select {
	case <-ps[1].Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the youngest inbound peer was not disconnected")
	}
	peersReach(t, n, "the oldest and the newcomer stay", 2)
	select {
	case <-ps[0].Done():
		t.Fatalf("the oldest inbound peer was evicted: %v", ps[0].Err())
	default:
	}
	st := n.Stats()
	require.Equal(t, uint64(1), st.Evicted)
	require.Equal(t, 2, st.Inbound)
}

func TestHandlerPanicDisconnectsThatPeerOnly(t *testing.T) {
	n, err := New(testSettings())
	require.NoError(t, err)
	require.NoError(t, n.Register(Protocol{Command: "boom", MaxSize: 16, Handler: func(m Message) error {
		if string(m.Payload) == "panic" {
			panic("handler bug")
		}
		return nil
	}}))
	require.ErrorIs(t, n.Register(Protocol{Command: "boom", MaxSize: 1}), ErrDuplicate)
	require.Error(t, n.Register(Protocol{Command: CmdAddr}))
	require.NoError(t, n.Start())
	defer n.Stop()
	require.ErrorIs(t, n.Register(Protocol{Command: "late"}), ErrRunning)

	bad, err := rawPeerCmds(t, addrOf(t, n), 31, map[string]uint32{"boom": 16})
	require.NoError(t, err)
	good, err := rawPeerCmds(t, addrOf(t, n), 32, map[string]uint32{"boom": 16})
	require.NoError(t, err)
	runPeer(t, bad)
	runPeer(t, good)
	peersReach(t, n, "both connected", 2)
	require.NoError(t, bad.Send(context.Background(), "boom", []byte("panic")))
	<-bad.Done()
	peersReach(t, n, "the panicking peer is gone", 1)
	require.NoError(t, good.Send(context.Background(), "boom", []byte("fine")))
	require.NoError(t, good.Flush(context.Background()))
	require.Len(t, n.Peers(), 1, "the node and its other peer go on")
}

func rawPeerCmds(t testing.TB, addr string, nonce uint64, cmds map[string]uint32) (*peer.Peer, error) {
	a, err := ParseAddr(addr)
	require.NoError(t, err)
	nc, err := net.Dial("tcp", a.HostPort)
	require.NoError(t, err)
	cmds[CmdGetAddr], cmds[CmdAddr] = 0, maxAddrPayload
	p, err := peer.New(nc, false, &peer.Config{Magic: peer.Magic([]byte("test")), Commands: cmds})
	require.NoError(t, err)
	return p, p.Handshake(context.Background(), peer.Version{Protocol: 1, AppName: "p2ptest", AppVersion: "1.0.0", Nonce: nonce}, nil)
}

func runPeer(t testing.TB, p *peer.Peer) {
	done := make(chan struct{})
	go func() { defer close(done); p.Run(context.Background()) }()
	t.Cleanup(func() { p.Disconnect(); <-done })
}

func TestRateLimitRaisesBanScoreUntilBanned(t *testing.T) {
	n, err := New(testSettings())
	require.NoError(t, err)
	var handled atomic.Int32
	require.NoError(t, n.Register(Protocol{Command: "spam", MaxSize: 8, Rate: 1, Burst: 2,
		Handler: func(Message) error { handled.Add(1); return nil }}))
	require.NoError(t, n.Start())
	defer n.Stop()
	p, err := rawPeerCmds(t, addrOf(t, n), 41, map[string]uint32{"spam": 8})
	require.NoError(t, err)
	runPeer(t, p)
	for range 30 {
		if p.Send(context.Background(), "spam", []byte("x")) != nil {
			break
		}
	}
	<-p.Done() // banned at 100 points: 10 messages over the limit
	require.True(t, n.Banned("127.0.0.1"))
	require.LessOrEqual(t, handled.Load(), int32(3), "messages over the rate are dropped")
	_, err = rawPeerCmds(t, addrOf(t, n), 42, map[string]uint32{"spam": 8})
	var re *peer.RejectError
	require.ErrorAs(t, err, &re)
	require.Equal(t, peer.RejectBanned, re.Code)
}

func TestMalformedFrameRaisesBanScore(t *testing.T) {
	n, _ := startNode(t, testSettings())
	p, err := rawPeerCmds(t, addrOf(t, n), 51, map[string]uint32{"chat": 4 << 10})
	require.NoError(t, err)
	runPeer(t, p)
	require.NoError(t, p.Send(context.Background(), "chat", make([]byte, 2000))) // over the node's 1024+8
	<-p.Done()
	eventually(t, "the score is raised", 5*time.Second, func() bool { return n.BanScore("127.0.0.1") > 40 })
	require.False(t, n.Banned("127.0.0.1"))
}

func TestTLSPeersAreIdentifiedByKey(t *testing.T) {
	_, ka, _ := ed25519.GenerateKey(rand.Reader)
	_, kb, _ := ed25519.GenerateKey(rand.Reader)
	a, boxA := startNode(t, testSettings(func(s *Settings) { s.Listen = []string{"tcp+tls://127.0.0.1:0"}; s.Key = ka }))
	b, _ := startNode(t, testSettings(func(s *Settings) { s.Key = kb; s.Peers = []string{addrOf(t, a)}; s.OutboundSlots = 0 }))
	peersReach(t, a, "connected over TLS", 1)
	peersReach(t, b, "connected over TLS", 1)
	idA, err := peer.KeyID(ka.Public())
	require.NoError(t, err)
	idB, err := peer.KeyID(kb.Public())
	require.NoError(t, err)
	require.Equal(t, idA, b.Peers()[0].ID)
	require.Equal(t, idB, a.Peers()[0].ID)
	require.Equal(t, idA, a.ID())
	require.NoError(t, b.Send(context.Background(), idA, "chat", []byte("over tls")))
	eventually(t, "a got it", 5*time.Second, func() bool { return boxA.count("over tls") == 1 })

	// A plain TCP client cannot talk to a TLS listener.
	_, err = rawPeer(t, addrOf(t, a), 61)
	require.Error(t, err)
}

func TestLifecycleEventsAndStopOrder(t *testing.T) {
	n, err := New(testSettings())
	require.NoError(t, err)
	events := make(chan lifecycle.Event, 64)
	n.Observe(0, lifecycle.ObserverFunc(func(e lifecycle.Event) error { events <- e; return nil }))
	require.NoError(t, n.Start())
	require.NoError(t, n.Stop())
	require.NoError(t, n.Stop(), "Stop is idempotent")
	close(events)
	var running, stopped []string
	for e := range events {
		switch e.To {
		case lifecycle.Running:
			running = append(running, e.Service)
		case lifecycle.Stopped:
			stopped = append(stopped, e.Service)
		}
	}
	require.Equal(t, []string{"addrbook", "peers", "broadcast", "manual", "outbound", "inbound"}, running)
	require.Equal(t, []string{"inbound", "outbound", "manual", "broadcast", "peers", "addrbook"}, stopped)
}

func TestMessageAcceptedForAPeerThatDisconnectsIsCountedAsDropped(t *testing.T) {
	release := make(chan struct{})
	a, err := New(testSettings(func(s *Settings) { s.QueueSize = 8 }))
	require.NoError(t, err)
	require.NoError(t, a.Register(Protocol{Command: "bulk", MaxSize: 64 << 10}))
	require.NoError(t, a.Start())
	defer a.Stop()
	b, err := New(testSettings(func(s *Settings) { s.Peers = []string{addrOf(t, a)}; s.OutboundSlots = 0 }))
	require.NoError(t, err)
	var blocked atomic.Bool
	require.NoError(t, b.Register(Protocol{Command: "bulk", MaxSize: 64 << 10, Handler: func(Message) error {
		if blocked.CompareAndSwap(false, true) {
			<-release // b stops reading: a's writes back up into a's queue
		}
		return nil
	}}))
	require.NoError(t, b.Start())
	defer b.Stop()
	defer close(release)
	peersReach(t, a, "connected", 1)
	id := a.Peers()[0].ID
	payload := make([]byte, 64<<10)
	accepted := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := a.Send(ctx, id, "bulk", payload)
		cancel()
		if err != nil {
			require.ErrorIs(t, err, peer.ErrCanceled, "a full queue waits only as long as the caller's ctx")
			break
		}
		accepted++
	}
	info := a.Peers()[0]
	require.Positive(t, info.Stats.Queued)
	require.True(t, a.Disconnect(id))
	peersReach(t, a, "gone", 0)
	st := a.Stats()
	require.Positive(t, st.Dropped)
	sent := info.Stats.MsgsSent // a lower bound taken while connected
	require.LessOrEqual(t, uint64(accepted), sent+st.Dropped+uint64(info.Stats.Queued))
	require.GreaterOrEqual(t, st.Dropped, uint64(info.Stats.Queued), "what was still queued is counted as dropped")
	require.ErrorIs(t, a.Send(context.Background(), id, "bulk", nil), ErrUnknownPeer)
}

func TestBroadcastValidation(t *testing.T) {
	n, err := New(testSettings())
	require.NoError(t, err)
	require.NoError(t, n.Register(Protocol{Command: "chat", MaxSize: 4}))
	_, err = n.Broadcast("chat", nil)
	require.ErrorIs(t, err, ErrNotRunning)
	require.NoError(t, n.Start())
	defer n.Stop()
	_, err = n.Broadcast("nosuch", nil)
	require.ErrorIs(t, err, peer.ErrUnknownCommand)
	_, err = n.Broadcast("chat", []byte("too long"))
	require.ErrorIs(t, err, peer.ErrPayloadTooLarge)
}

func TestStopDuringHeavyTrafficIsPrompt(t *testing.T) {
	a, boxA := startNode(t, testSettings())
	b, _ := startNode(t, testSettings(func(s *Settings) { s.Peers = []string{addrOf(t, a)} }))
	peersReach(t, a, "connected", 1)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			b.Broadcast("chat", []byte(fmt.Sprint("m", i)))
		}
	}()
	// The stop lands under load: once a has received 1,000 of b's messages.
	boxA.waitDistinct(t, 1000, 30*time.Second)
	start := time.Now()
	require.NoError(t, b.Stop())
	require.Less(t, time.Since(start), 5*time.Second, "the stop drains for at most DrainTimeout (1 s), then disconnects; its own bound is 13 s")
	close(stop)
	<-done
	require.NoError(t, a.Stop())
}

func TestStopFromAHandlerReturnsAtOnce(t *testing.T) {
	a, err := New(testSettings())
	require.NoError(t, err)
	stopped := make(chan error, 1)
	require.NoError(t, a.Register(Protocol{Command: "chat", MaxSize: 64, Relay: true, Handler: func(Message) error {
		stopped <- a.Stop() // the node's stop waits for this handler's peer: it must not wait here
		return nil
	}}))
	require.NoError(t, a.Start())
	b, _ := startNode(t, testSettings(func(s *Settings) { s.Peers = []string{addrOf(t, a)} }))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, b.WaitPeers(ctx, 1))
	_, err = b.Broadcast("chat", []byte("stop"))
	require.NoError(t, err)
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Stop from a handler blocked")
	}
	require.NoError(t, a.Join())
}

func TestZeroValueNodeFailsStartInsteadOfPanicking(t *testing.T) {
	var n Node
	var se *SettingError
	require.ErrorAs(t, n.Start(), &se)
	require.ErrorAs(t, n.Register(Protocol{Command: "x"}), &se)
	_, err := n.Broadcast("x", nil)
	require.ErrorIs(t, err, ErrNotRunning)
	require.Empty(t, n.Peers())
}

func TestTrustedKeysRefuseOtherPeers(t *testing.T) {
	_, ka, _ := ed25519.GenerateKey(rand.Reader)
	_, kb, _ := ed25519.GenerateKey(rand.Reader)
	_, kc, _ := ed25519.GenerateKey(rand.Reader)
	idA, _ := peer.KeyID(ka.Public())
	idB, _ := peer.KeyID(kb.Public())
	tlsListen := func(s *Settings) { s.Listen = []string{"tcp+tls://127.0.0.1:0"} }
	a, _ := startNode(t, testSettings(tlsListen, func(s *Settings) { s.Key = ka; s.TrustedKeys = []string{idB} }))
	b, _ := startNode(t, testSettings(tlsListen, func(s *Settings) {
		s.Key = kb
		s.TrustedKeys = []string{idA}
		s.Peers = []string{addrOf(t, a)}
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, b.WaitPeers(ctx, 1), "trusted keys connect")
	require.Equal(t, idA, b.Peers()[0].ID)

	// A TLS client with another key is refused with a reason.
	cert, err := selfSigned(kc)
	require.NoError(t, err)
	nc, err := tls.Dial("tcp", strings.TrimPrefix(addrOf(t, a), "tcp+tls://"), tlsConfig(cert))
	require.NoError(t, err)
	pc, err := peer.New(nc, false, &peer.Config{Magic: peer.Magic([]byte("test"))})
	require.NoError(t, err)
	err = pc.Handshake(context.Background(), peer.Version{Protocol: 1, AppName: "p2ptest", AppVersion: "1.0.0", Nonce: 81}, nil)
	var re *peer.RejectError
	require.ErrorAs(t, err, &re)
	require.Equal(t, peer.RejectUntrusted, re.Code)
	require.Len(t, a.Peers(), 1)

	_, err = rawPeer(t, "tcp://"+strings.TrimPrefix(addrOf(t, a), "tcp+tls://"), 71)
	require.Error(t, err, "plain tcp is refused when keys are pinned")

	_, err = New(testSettings(func(s *Settings) { s.TrustedKeys = []string{"key:zz"} }))
	var se *SettingError
	require.ErrorAs(t, err, &se)
	require.Equal(t, "TrustedKeys[0]", se.Setting)
}

func TestStopDuringAnInboundHandshakeIsPrompt(t *testing.T) {
	n, err := New(testSettings(func(s *Settings) { s.HandshakeTimeout = time.Minute }))
	require.NoError(t, err)
	require.NoError(t, n.Start())
	a, err := ParseAddr(addrOf(t, n))
	require.NoError(t, err)
	silent, err := net.Dial("tcp", a.HostPort) // connects, never sends a version
	require.NoError(t, err)
	defer silent.Close()
	// The node has read nothing yet; it answers with its own version first.
	buf := make([]byte, peer.HeaderSize)
	_, err = io.ReadFull(silent, buf)
	require.NoError(t, err, "the node's version arrives: the handshake is in flight")
	start := time.Now()
	require.NoError(t, n.Stop())
	require.Less(t, time.Since(start), 5*time.Second, "not the minute of the handshake timeout")
}

func TestJitterStaysWithinHalfEitherWay(t *testing.T) {
	for range 1000 {
		d := jitter(time.Second)
		require.GreaterOrEqual(t, d, 500*time.Millisecond)
		require.Less(t, d, 1500*time.Millisecond)
	}
	require.Zero(t, jitter(0))
}

func TestStopDuringAnOutboundHandshakeIsPrompt(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	n, err := New(testSettings(func(s *Settings) {
		s.HandshakeTimeout = time.Minute
		s.Peers = []string{ln.Addr().String()}
		s.OutboundSlots = 0
	}))
	require.NoError(t, err)
	require.NoError(t, n.Start())
	c := <-accepted
	defer c.Close()
	start := time.Now()
	require.NoError(t, n.Stop())
	require.Less(t, time.Since(start), 5*time.Second, "not the minute of the handshake timeout")
}

func TestAnnouncedSettingsApply(t *testing.T) {
	a, _ := startNode(t, testSettings(func(s *Settings) {
		s.ExternalAddr = "tcp://127.0.0.1:4242" // what a announces, whatever it listens on
		s.UserAgent = "a/1"
		s.Protocol, s.MinProtocol = 3, 2
		s.PingInterval = 10 * time.Millisecond
	}))
	b, _ := startNode(t, testSettings(func(s *Settings) {
		s.Peers = []string{addrOf(t, a)}
		s.OutboundSlots = 0
		s.Protocol = 2
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, b.WaitPeers(ctx, 1))
	info := b.Peers()[0]
	require.Equal(t, "tcp://127.0.0.1:4242", info.ListenAddr)
	require.Equal(t, "a/1", info.Version.UserAgent)
	require.Equal(t, uint32(3), info.Version.Protocol)
	eventually(t, "a pings at its PingInterval", 5*time.Second, func() bool {
		p := a.Peers()
		return len(p) == 1 && p[0].Stats.RTT > 0
	})

	// A remote below MinProtocol is refused.
	_, err := rawPeer(t, addrOf(t, a), 91) // protocol 1
	var re *peer.RejectError
	require.ErrorAs(t, err, &re)
	require.Equal(t, peer.RejectVersion, re.Code)
}
