package nodekit

import "unsafe"

// untiny returns s in memory of its own, for strings kept in objects that
// Java may pin for a long time (an Event, an ended Group).
//
// Why: Go packs pointer-free objects under 16 bytes into shared 16-byte
// blocks, and a block is freed only when all of its objects are dead.
// gobind's reference to a Java object (the Go proxy of a Java service,
// handler or observer) is such an object, 4 bytes with a finalizer that
// tells Java to let the object go. A short string in the same block (a
// service name from Java) that stays reachable keeps the finalizer from
// ever running, and so keeps the Java object pinned.
func untiny(s string) string {
	const tiny = 16 // the Go runtime's maxTinySize
	if len(s) >= tiny || len(s) == 0 {
		return s // never in a shared block
	}
	b := make([]byte, tiny) // 16 bytes: a block of its own
	copy(b, s)
	return unsafe.String(&b[0], len(s))
}
