package p2p

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/peer"
)

// connected reports whether the nodes' connections form one component.
func connected(nodes []*Node) bool {
	index := map[string]int{}
	for i, n := range nodes {
		if a := n.Addrs(); len(a) > 0 {
			index[a[0]] = i
		}
	}
	adj := make([][]int, len(nodes))
	for i, n := range nodes {
		for _, p := range n.Peers() {
			if j, ok := index[p.ListenAddr]; ok {
				adj[i] = append(adj[i], j)
				adj[j] = append(adj[j], i)
			}
		}
	}
	seen := map[int]bool{0: true}
	stack := []int{0}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, j := range adj[i] {
			if !seen[j] {
				seen[j] = true
				stack = append(stack, j)
			}
		}
	}
	return len(seen) == len(nodes)
}

// describe lists each node's outbound count and book size, for failures.
func describe(nodes []*Node) string {
	var b strings.Builder
	for i, n := range nodes {
		st := n.Stats()
		fmt.Fprintf(&b, "node %d: out %d in %d untried %d tried %d; ", i, st.Outbound, st.Inbound, st.Untried, st.Tried)
	}
	return b.String()
}

func allReachTarget(nodes []*Node, target int) bool {
	for _, n := range nodes {
		if n.Stats().Outbound < target {
			return false
		}
	}
	return true
}

// networkLimits gives a node slots outbound peers and room for twice as
// many inbound: a node that every other node dialed could otherwise not
// reach its own outbound target.
func networkLimits(slots int) func(*Settings) {
	return func(s *Settings) { s.OutboundSlots, s.MaxInbound = slots, 2*slots }
}

// startNetwork starts a seed (nodes[0]) and size-1 nodes that know only the
// seed, each with networkLimits(slots).
func startNetwork(t *testing.T, size, slots int) ([]*Node, []*inbox) {
	t.Helper()
	seed, seedBox := startNode(t, testSettings(networkLimits(slots)))
	nodes, boxes := []*Node{seed}, []*inbox{seedBox}
	for range size - 1 {
		n, b := startNode(t, testSettings(networkLimits(slots), func(s *Settings) { s.Seeds = []string{addrOf(t, seed)} }))
		nodes, boxes = append(nodes, n), append(boxes, b)
	}
	return nodes, boxes
}

func TestThirtyNodesFromOneSeedConvergeAndBroadcastOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("30 nodes")
	}
	const size, slots = 30, 4
	nodes, boxes := startNetwork(t, size, slots)
	eventually(t, "every node reaches its outbound target", 30*time.Second, func() bool {
		return allReachTarget(nodes, slots) && connected(nodes)
	}, func() string { return describe(nodes) })
	for i, n := range nodes {
		require.Equal(t, slots, n.Stats().Outbound, "node %d", i)
	}

	from := rand.IntN(size)
	sent, err := nodes[from].Broadcast("chat", []byte("hello, everyone"))
	require.NoError(t, err)
	require.Positive(t, sent)
	eventually(t, "the broadcast reaches every node", 10*time.Second, func() bool {
		for i, b := range boxes {
			if i != from && b.count("hello, everyone") == 0 {
				return false
			}
		}
		return true
	})
	for _, n := range nodes { // stopping drains what is in flight: any duplicate would now be counted
		require.NoError(t, n.Stop())
	}
	for i, b := range boxes {
		want := 1
		if i == from {
			want = 0 // the sender's own broadcast is not delivered back to it
		}
		require.Equal(t, want, b.count("hello, everyone"), "node %d", i)
	}
}

func TestChurnKeepsTheNetworkConnected(t *testing.T) {
	if testing.Short() {
		t.Skip("churn")
	}
	const size, slots = 12, 3
	nodes, _ := startNetwork(t, size, slots)
	seedAddr := addrOf(t, nodes[0])
	var listen []string
	for _, n := range nodes {
		listen = append(listen, addrOf(t, n))
	}
	eventually(t, "converged before churn", 20*time.Second, func() bool { return allReachTarget(nodes, slots) && connected(nodes) },
		func() string { return describe(nodes) })

	// For 3 s, stop a random node (never the seed) and restart it on the same
	// address.
	end := time.Now().Add(3 * time.Second)
	restarts := 0
	for time.Now().Before(end) {
		i := 1 + rand.IntN(size-1)
		require.NoError(t, nodes[i].Stop())
		n, _ := startNode(t, testSettings(networkLimits(slots), func(s *Settings) {
			s.Seeds = []string{seedAddr}
			s.Listen = []string{listen[i]}
		}))
		nodes[i] = n
		restarts++
		time.Sleep(time.Duration(50+rand.IntN(150)) * time.Millisecond)
	}
	eventually(t, fmt.Sprintf("connected again after %d restarts", restarts), 20*time.Second, func() bool {
		return allReachTarget(nodes, slots) && connected(nodes)
	}, func() string { return describe(nodes) })
}

func TestANewcomerWhoseOnlySeedIsFullStillJoins(t *testing.T) {
	seed, _ := startNode(t, testSettings(func(s *Settings) { s.MaxInbound = 1 }))
	seedAddr := addrOf(t, seed)
	b, _ := startNode(t, testSettings(func(s *Settings) { s.Seeds = []string{seedAddr}; s.OutboundSlots = 1 }))
	eventually(t, "the seed learns b's address", 5*time.Second, func() bool {
		untried, tried := seed.book.Len()
		return untried+tried > 0
	})
	// A foreign client takes the seed's only inbound slot and keeps it.
	var squatter *peer.Peer
	eventually(t, "the squatter connects", 5*time.Second, func() bool {
		p, err := rawPeer(t, seedAddr, 77)
		if err != nil {
			return false // b's seed session holds the slot for a moment
		}
		squatter = p
		return true
	})
	defer runRaw(squatter)()

	c, _ := startNode(t, testSettings(func(s *Settings) { s.Seeds = []string{seedAddr}; s.OutboundSlots = 1 }))
	eventually(t, "c, knowing only the full seed, connects to b", 10*time.Second, func() bool {
		for _, p := range c.Peers() {
			if p.ListenAddr == addrOf(t, b) {
				return true
			}
		}
		return false
	}, func() string { return describe([]*Node{seed, b, c}) })
	require.Positive(t, seed.Stats().Evicted)
}
