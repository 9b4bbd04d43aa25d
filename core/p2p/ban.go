package p2p

import (
	"math"
	"sync"
	"time"
)

// banList keeps a decaying misbehaviour score per remote host: each offence
// adds to it, it halves every half-life, and reaching the threshold bans the
// host until the ban expires.
type banList struct {
	mu        sync.Mutex
	threshold float64
	halfLife  time.Duration
	duration  time.Duration
	hosts     map[string]*banEntry
	now       func() time.Time
}

type banEntry struct {
	score       float64
	at          time.Time // when score was last updated
	bannedUntil time.Time
}

func newBanList(threshold float64, halfLife, duration time.Duration) *banList {
	return &banList{threshold: threshold, halfLife: halfLife, duration: duration, hosts: map[string]*banEntry{}, now: time.Now}
}

func (b *banList) decayed(e *banEntry, now time.Time) float64 {
	return e.score * math.Exp2(-float64(now.Sub(e.at))/float64(b.halfLife))
}

// Add raises host's score by delta and reports whether host is now banned.
func (b *banList) Add(host string, delta float64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	e := b.hosts[host]
	if e == nil {
		e = &banEntry{}
		b.hosts[host] = e
	}
	e.score, e.at = b.decayed(e, now)+delta, now
	if e.score >= b.threshold {
		e.score, e.bannedUntil = 0, now.Add(b.duration)
	}
	b.gc(now)
	return now.Before(e.bannedUntil)
}

// Score is host's current score.
func (b *banList) Score(host string) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.hosts[host]; e != nil {
		return b.decayed(e, b.now())
	}
	return 0
}

// Banned reports whether host is banned now.
func (b *banList) Banned(host string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.hosts[host]
	return e != nil && b.now().Before(e.bannedUntil)
}

// gc forgets hosts whose ban expired and whose score decayed to nothing, once
// the table is large.
func (b *banList) gc(now time.Time) {
	if len(b.hosts) < 1024 {
		return
	}
	for h, e := range b.hosts {
		if !now.Before(e.bannedUntil) && b.decayed(e, now) < 1 {
			delete(b.hosts, h)
		}
	}
}

// seenCache remembers the last size broadcast ids, so a gossiped message is
// delivered and relayed once per node.
type seenCache struct {
	mu   sync.Mutex
	ids  map[uint64]struct{}
	ring []uint64
	next int
}

func newSeenCache(size int) *seenCache {
	return &seenCache{ids: make(map[uint64]struct{}, size), ring: make([]uint64, size)}
}

// Mark records id and reports whether it is new.
func (c *seenCache) Mark(id uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.ids[id]; ok {
		return false
	}
	if old := c.ring[c.next]; old != 0 {
		delete(c.ids, old)
	}
	c.ring[c.next] = id
	c.next = (c.next + 1) % len(c.ring)
	c.ids[id] = struct{}{}
	return true
}

// bucket is a token bucket: rate tokens per second up to burst.
type bucket struct {
	rate, burst, tokens float64
	at                  time.Time
}

// take reports whether a token was available at now.
func (b *bucket) take(now time.Time) bool {
	b.tokens = min(b.burst, b.tokens+now.Sub(b.at).Seconds()*b.rate)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
