package p2p

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// A graceful stop delivers what Broadcast accepted: the stopping node writes
// its queue, half-closes and waits for the remote to close, so once its Stop
// returns the remote has handed every message to its handler, even when the
// remote stops right after.
func TestStopDeliversAcceptedBroadcastsBeforeTheRemoteStops(t *testing.T) {
	const n = 200
	a, boxA := startNode(t, testSettings())
	b, _ := startNode(t, testSettings(func(s *Settings) { s.Peers = []string{addrOf(t, a)} }))
	peersReach(t, b, "connected", 1)
	for i := range n {
		sent, err := b.Broadcast("chat", []byte(fmt.Sprint("m", i)))
		require.NoError(t, err)
		require.Equal(t, 1, sent)
	}
	require.NoError(t, b.Stop())
	require.NoError(t, a.Stop())
	require.Zero(t, b.Stats().Dropped)
	for i := range n {
		require.Equal(t, 1, boxA.count(fmt.Sprint("m", i)), "message m%d", i)
	}
}
