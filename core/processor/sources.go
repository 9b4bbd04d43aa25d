package processor

import "sync"

// Queue is a Source that others push events into; it wakes the processor on
// every push. Safe for concurrent use; attach it to one processor. When that
// processor ends, the queue is closed: every Push that returned nil before is
// drained by the processor (handled, or returned by Unhandled), and every
// Push after fails with ErrClosed.
type Queue struct {
	mu     sync.Mutex
	events []Event
	wake   func()
	closed bool
}

// NewQueue returns an empty Queue.
func NewQueue() *Queue { return &Queue{} }

// Push appends events and wakes the processor. After the processor has
// ended it accepts nothing and returns ErrClosed.
func (q *Queue) Push(events ...Event) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	q.events = append(q.events, events...)
	wake := q.wake
	q.mu.Unlock()
	if wake != nil {
		wake()
	}
	return nil
}

// close refuses further pushes; what is queued can still be drained.
func (q *Queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}

// Len returns the number of events waiting to be drained.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.events)
}

// Drain implements Source.
func (q *Queue) Drain(buf []Event) []Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	buf = append(buf, q.events...)
	clear(q.events)
	q.events = q.events[:0]
	return buf
}

// Attach implements Waker.
func (q *Queue) Attach(wake func()) {
	q.mu.Lock()
	q.wake = wake
	q.mu.Unlock()
}

// Blob is a State holding one byte slice: Set replaces it, bumps the version
// and wakes the processor. Safe for concurrent use.
type Blob struct {
	mu      sync.Mutex
	data    []byte
	version uint64
	wake    func()
}

// NewBlob returns a Blob holding data (as loaded: version 0, nothing to persist).
func NewBlob(data []byte) *Blob { return &Blob{data: data} }

// Set replaces the state with a copy of data.
func (b *Blob) Set(data []byte) {
	b.mu.Lock()
	b.data = append([]byte(nil), data...)
	b.version++
	wake := b.wake
	b.mu.Unlock()
	if wake != nil {
		wake()
	}
}

// Get returns the current bytes (do not modify them).
func (b *Blob) Get() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.data
}

// Version implements State.
func (b *Blob) Version() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.version
}

// Snapshot implements State.
func (b *Blob) Snapshot() (uint64, []byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.version, b.data, nil
}

// Attach implements Waker.
func (b *Blob) Attach(wake func()) {
	b.mu.Lock()
	b.wake = wake
	b.mu.Unlock()
}
