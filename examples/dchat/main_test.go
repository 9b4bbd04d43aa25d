package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// screen is a node's terminal: what it printed, with a wake-up per write.
type screen struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	wake chan struct{}
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return s.buf.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor blocks until the screen shows every line, woken by each write.
func (s *screen) waitFor(t *testing.T, lines []string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		all := true
		for _, l := range lines {
			all = all && strings.Contains(s.String(), l+"\n")
		}
		if all {
			return
		}
		select {
		case <-s.wake:
		case <-deadline:
			t.Fatalf("screen shows %q, want all of %q", s.String(), lines)
		}
	}
}

// Three dchat nodes on loopback in a line (carol – bob – alice): a message
// from each is printed by all three, relayed through bob.
func TestThreeNodesEachPrintAllThreeMessages(t *testing.T) {
	ctx := context.Background()
	type node struct {
		c      *chat
		screen *screen
		in     *io.PipeWriter
		done   chan error
	}
	start := func(cfg config) *node {
		s := &screen{wake: make(chan struct{}, 1)}
		c, err := newChat(cfg, s)
		require.NoError(t, err)
		r, w := io.Pipe()
		n := &node{c: c, screen: s, in: w, done: make(chan error, 1)}
		require.NoError(t, c.start())
		go func() { n.done <- c.loop(ctx, r) }()
		return n
	}
	alice := start(config{listen: "tcp://127.0.0.1:0", nick: "alice", slots: 1})
	bob := start(config{listen: "tcp://127.0.0.1:0", nick: "bob", peers: list{alice.c.node.Addrs()[0]}})
	carol := start(config{listen: "", nick: "carol", peers: list{bob.c.node.Addrs()[0]}})
	nodes := []*node{alice, bob, carol}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, alice.c.node.WaitPeers(wctx, 1))
	require.NoError(t, bob.c.node.WaitPeers(wctx, 2))
	require.NoError(t, carol.c.node.WaitPeers(wctx, 1))

	var want []string
	for _, n := range nodes {
		line := fmt.Sprintf("hello from %s", n.c.nick)
		_, err := io.WriteString(n.in, line+"\n")
		require.NoError(t, err)
		want = append(want, fmt.Sprintf("[%s] %s", n.c.nick, line))
	}
	for _, n := range nodes {
		n.screen.waitFor(t, want)
	}
	for _, n := range nodes {
		n.in.Close() // end of input stops the node
		require.NoError(t, <-n.done)
	}
	for _, n := range nodes {
		for _, w := range want {
			require.Equal(t, 1, strings.Count(n.screen.String(), w+"\n"), "%s printed %q once", n.c.nick, w)
		}
	}
}

func TestBadNick(t *testing.T) {
	_, err := newChat(config{nick: "", slots: 1}, io.Discard)
	require.Error(t, err)
	_, err = newChat(config{nick: "x", slots: 0}, io.Discard)
	require.ErrorContains(t, err, "OutboundSlots")
}
