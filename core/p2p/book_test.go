package p2p

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func addr(t *testing.T, s string) Addr {
	a, err := ParseAddr(s)
	require.NoError(t, err)
	return a
}

func none(string) bool { return false }

func TestBookTestBeforeEvict(t *testing.T) {
	b := newAddrBook()
	b.maxTried = 2
	now := time.Unix(1000, 0)
	b.now = func() time.Time { return now }
	a1, a2, a3 := addr(t, "127.0.0.1:1"), addr(t, "127.0.0.1:2"), addr(t, "127.0.0.1:3")
	require.Equal(t, 3, b.Add(a1, a2, a3))
	b.Good(a1)
	now = now.Add(time.Second)
	b.Good(a2)
	now = now.Add(time.Second)
	b.Good(a3) // tried is full: a1, the oldest, is tested first
	u, tr := b.Len()
	require.Equal(t, 1, u)
	require.Equal(t, 2, tr)
	got, ok := b.Pick(none)
	require.True(t, ok)
	require.Equal(t, a1, got, "the eviction candidate is dialed next")

	// a1 answers: it stays, a3 stays untried.
	b.Good(a1)
	u, tr = b.Len()
	require.Equal(t, []int{1, 2}, []int{u, tr})
	require.False(t, b.entries[a3.String()].Tried)

	// Next time a1 fails its test: it is demoted and a3 takes its place.
	b.Good(a3)
	victim, _ := b.Pick(none)
	require.Equal(t, a2, victim, "now a2 is the oldest")
	b.Attempt(a2)
	b.Failed(a2)
	require.False(t, b.entries[a2.String()].Tried)
	require.True(t, b.entries[a3.String()].Tried)
	u, tr = b.Len()
	require.Equal(t, []int{1, 2}, []int{u, tr})
}

func TestBookRestsFailingAddressesAndForgetsThem(t *testing.T) {
	b := newAddrBook()
	now := time.Unix(1000, 0)
	b.now = func() time.Time { return now }
	a := addr(t, "127.0.0.1:9")
	b.Add(a)
	for i := range maxFailures {
		got, ok := b.Pick(none)
		require.True(t, ok, "attempt %d", i)
		require.Equal(t, a, got)
		b.Attempt(a)
		b.Failed(a)
		if i < maxFailures-1 {
			_, ok = b.Pick(none)
			require.False(t, ok, "resting after a failure")
			now = now.Add(b.retryAfter(i + 1))
		}
	}
	u, tr := b.Len()
	require.Zero(t, u+tr, "forgotten after %d failures", maxFailures)
}

func TestBookCapsUntried(t *testing.T) {
	b := newAddrBook()
	b.maxUntried = 3
	for i := 1; i <= 10; i++ {
		b.Add(addr(t, "127.0.0.1:"+string(rune('0'+i%10))))
	}
	u, _ := b.Len()
	require.Equal(t, 3, u)
}

func TestBanScoreDecaysAndBansExpire(t *testing.T) {
	bl := newBanList(100, time.Minute, time.Hour)
	now := time.Unix(0, 0)
	bl.now = func() time.Time { return now }
	require.False(t, bl.Add("h", 60))
	now = now.Add(time.Minute) // halved to 30
	require.InDelta(t, 30, bl.Score("h"), 0.01)
	require.False(t, bl.Add("h", 60)) // 90
	require.True(t, bl.Add("h", 20))  // 110: banned
	require.True(t, bl.Banned("h"))
	now = now.Add(time.Hour)
	require.False(t, bl.Banned("h"), "the ban expired")
}

func TestSeenCacheForgetsOldest(t *testing.T) {
	c := newSeenCache(2)
	require.True(t, c.Mark(1))
	require.False(t, c.Mark(1))
	require.True(t, c.Mark(2))
	require.True(t, c.Mark(3)) // evicts 1
	require.True(t, c.Mark(1))
	require.False(t, c.Mark(3))
}
