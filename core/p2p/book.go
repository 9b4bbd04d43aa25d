package p2p

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"time"

	"nodekit.dev/nodekit/core/store"
)

// The address book keeps addresses in two tables: untried (heard of, never
// connected) and tried (connected at least once). An address moves to tried
// on a successful handshake. When tried is full the newcomer does not evict
// anyone at once: the oldest tried address is tested first (it is the next
// outbound candidate), and only if that dial fails is it demoted and the
// newcomer promoted (test-before-evict), so a flood of fresh addresses cannot
// push out peers known to work.
const (
	defaultMaxUntried = 2048
	defaultMaxTried   = 512
	maxFailures       = 5 // an untried address failing this often is forgotten
	bookKey           = "addrbook"
	bookFormat        = 1
)

type bookEntry struct {
	Addr        string    `json:"addr"`
	Tried       bool      `json:"tried"`
	Attempts    int       `json:"attempts"`
	LastAttempt time.Time `json:"last_attempt"`
	LastSuccess time.Time `json:"last_success"`
	Added       time.Time `json:"added"`
}

type addrBook struct {
	mu                 sync.Mutex
	entries            map[string]*bookEntry
	tried              int
	maxUntried         int
	maxTried           int
	testing            map[string]string // tried victim → untried newcomer waiting for its slot
	changed            chan struct{}     // closed and replaced when an address is added
	retryMin, retryMax time.Duration
	now                func() time.Time
}

func newAddrBook() *addrBook {
	return &addrBook{entries: map[string]*bookEntry{}, maxUntried: defaultMaxUntried, maxTried: defaultMaxTried,
		testing: map[string]string{}, changed: make(chan struct{}),
		retryMin: time.Second, retryMax: 10 * time.Minute, now: time.Now}
}

// Changed is closed when an address is next added.
func (b *addrBook) Changed() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.changed
}

func (b *addrBook) signal() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// Add records addresses heard of; it returns how many were new.
func (b *addrBook) Add(addrs ...Addr) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	added := 0
	for _, a := range addrs {
		k := a.String()
		if _, ok := b.entries[k]; ok {
			continue
		}
		if len(b.entries)-b.tried >= b.maxUntried && !b.evictUntried() {
			break
		}
		b.entries[k] = &bookEntry{Addr: k, Added: b.now()}
		added++
	}
	if added > 0 {
		b.signal()
	}
	return added
}

// evictUntried forgets the untried address with the most failures, then the
// oldest.
func (b *addrBook) evictUntried() bool {
	var worst *bookEntry
	for _, e := range b.entries {
		if e.Tried || b.isNewcomer(e.Addr) {
			continue
		}
		if worst == nil || e.Attempts > worst.Attempts || (e.Attempts == worst.Attempts && e.Added.Before(worst.Added)) {
			worst = e
		}
	}
	if worst == nil {
		return false
	}
	delete(b.entries, worst.Addr)
	return true
}

func (b *addrBook) isNewcomer(addr string) bool {
	for _, n := range b.testing {
		if n == addr {
			return true
		}
	}
	return false
}

// retryAfter is how long an address that failed n times in a row rests.
func (b *addrBook) retryAfter(n int) time.Duration {
	if n == 0 {
		return 0
	}
	d := b.retryMin << min(n-1, 20)
	return min(d, b.retryMax)
}

// Pick returns an address to dial: a tried address under test first, then
// tried or untried at even odds, at random, skipping those excluded and those
// resting after failures.
func (b *addrBook) Pick(exclude func(string) bool) (Addr, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	ok := func(e *bookEntry) bool {
		return !exclude(e.Addr) && now.Sub(e.LastAttempt) >= b.retryAfter(e.Attempts)
	}
	for victim := range b.testing {
		if e := b.entries[victim]; e != nil && ok(e) {
			return mustParse(e.Addr), true
		}
	}
	var tried, untried []*bookEntry
	for _, e := range b.entries {
		if !ok(e) {
			continue
		}
		if e.Tried {
			tried = append(tried, e)
		} else {
			untried = append(untried, e)
		}
	}
	from := untried
	if len(tried) > 0 && (len(untried) == 0 || rand.IntN(2) == 0) {
		from = tried
	}
	if len(from) == 0 {
		return Addr{}, false
	}
	return mustParse(from[rand.IntN(len(from))].Addr), true
}

func mustParse(s string) Addr {
	a, err := ParseAddr(s)
	if err != nil {
		panic("p2p: address book holds an invalid address " + s) // Add only stores parsed addresses
	}
	return a
}

// Attempt records a dial of a.
func (b *addrBook) Attempt(a Addr) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.entries[a.String()]; e != nil {
		e.Attempts++
		e.LastAttempt = b.now()
	}
}

// Good records a successful handshake with a: it moves to tried, or, if
// tried is full, waits for the oldest tried address to be tested.
func (b *addrBook) Good(a Addr) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := a.String()
	e := b.entries[k]
	if e == nil {
		e = &bookEntry{Addr: k, Added: b.now()}
		b.entries[k] = e
	}
	e.Attempts, e.LastSuccess = 0, b.now()
	delete(b.testing, k) // a victim under test answered: it stays, its newcomer stays untried
	if e.Tried || b.isNewcomer(k) {
		return
	}
	if b.tried < b.maxTried {
		e.Tried = true
		b.tried++
		return
	}
	var victim *bookEntry
	for _, t := range b.entries {
		if t.Tried && b.testing[t.Addr] == "" && (victim == nil || t.LastSuccess.Before(victim.LastSuccess)) {
			victim = t
		}
	}
	if victim != nil {
		b.testing[victim.Addr] = k
		victim.Attempts, victim.LastAttempt = 0, time.Time{} // due for its test now
	}
}

// Failed records a failed dial or handshake with a. A tried address under
// test is demoted and its newcomer promoted; an untried one that failed too
// often is forgotten.
func (b *addrBook) Failed(a Addr) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := a.String()
	e := b.entries[k]
	if e == nil {
		return
	}
	if newcomer, ok := b.testing[k]; ok {
		delete(b.testing, k)
		e.Tried = false
		if n := b.entries[newcomer]; n != nil {
			n.Tried = true
		} else {
			b.tried--
		}
		return
	}
	if !e.Tried && e.Attempts >= maxFailures {
		delete(b.entries, k)
	}
}

// Remove forgets a (a banned or self address).
func (b *addrBook) Remove(a Addr) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := a.String()
	if e := b.entries[k]; e != nil {
		if e.Tried {
			b.tried--
		}
		delete(b.entries, k)
		delete(b.testing, k)
	}
}

// Sample returns up to n addresses at random, skipping excluded ones.
func (b *addrBook) Sample(n int, exclude func(string) bool) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, 0, min(n, len(b.entries)))
	for k := range b.entries { // map order is random
		if len(out) == n {
			break
		}
		if !exclude(k) {
			out = append(out, k)
		}
	}
	return out
}

// Len returns the number of untried and tried addresses.
func (b *addrBook) Len() (untried, tried int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.entries) - b.tried, b.tried
}

type bookFile struct {
	Format  int          `json:"format"`
	Entries []*bookEntry `json:"entries"`
}

// load replaces the book with what dir holds; a missing file is an empty
// book, a damaged one an error naming the file.
func (b *addrBook) load(st *store.FilesystemPersister) error {
	raw, err := st.Load(bookKey)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("p2p: address book: %w", err)
	}
	path := filepath.Join(st.Dir(), bookKey)
	var f bookFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return fmt.Errorf("p2p: address book %s: %w", path, err)
	}
	if f.Format != bookFormat {
		return fmt.Errorf("p2p: address book %s: format %d, want %d", path, f.Format, bookFormat)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, e := range f.Entries {
		if e == nil {
			return fmt.Errorf("p2p: address book %s: entry %d is null", path, i)
		}
		a, err := ParseAddr(e.Addr)
		if err != nil {
			return fmt.Errorf("p2p: address book %s: entry %d: %w", path, i, err)
		}
		e.Addr = a.String()
		if old := b.entries[e.Addr]; old != nil && old.Tried {
			b.tried--
		}
		b.entries[e.Addr] = e
		if e.Tried {
			b.tried++
		}
	}
	b.signal()
	return nil
}

func (b *addrBook) save(st *store.FilesystemPersister) error {
	b.mu.Lock()
	f := bookFile{Format: bookFormat, Entries: make([]*bookEntry, 0, len(b.entries))}
	for _, e := range b.entries {
		c := *e
		f.Entries = append(f.Entries, &c)
	}
	b.mu.Unlock()
	raw, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if err := st.Persist(bookKey, raw); err != nil {
		return fmt.Errorf("p2p: save address book: %w", err)
	}
	return nil
}
