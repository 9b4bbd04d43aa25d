package lifecycle

import "hash/maphash"

// nameSet finds a Group's entries by name once the group is too large to
// look through (namesAt): an open-addressing hash table, with linear probing,
// of indices into the group's entries. A slot holds index+1 (0 is empty) and
// the table is kept at most half full, so it costs 8–16 bytes per service
// where a map[string]bool costs about a hundred, and adding a name hashes it
// once (twice when the table doubles).
type nameSet struct {
	seed  maphash.Seed
	slots []uint32
	count int
}

// has reports whether name is the name of one of entries, which must be the
// entries the set was given (add).
func (s *nameSet) has(entries []*entry, name string) bool {
	if s.count == 0 {
		return false
	}
	mask := uint64(len(s.slots) - 1)
	for i := maphash.String(s.seed, name) & mask; ; i = (i + 1) & mask {
		switch slot := s.slots[i]; {
		case slot == 0:
			return false
		case entries[slot-1].name == name:
			return true
		}
	}
}

// add records the last of entries (whose name has) not found; the first call,
// and every call that would fill the table past half, indexes all of them.
func (s *nameSet) add(entries []*entry) {
	if 2*len(entries) > len(s.slots) {
		if s.count == 0 {
			s.seed = maphash.MakeSeed()
		}
		size := 64
		for size < 2*len(entries) {
			size *= 2
		}
		s.slots, s.count = make([]uint32, size), 0
		for i := range entries[:len(entries)-1] {
			s.insert(entries, i)
		}
	}
	s.insert(entries, len(entries)-1)
}

func (s *nameSet) insert(entries []*entry, idx int) {
	mask := uint64(len(s.slots) - 1)
	i := maphash.String(s.seed, entries[idx].name) & mask
	for s.slots[i] != 0 {
		i = (i + 1) & mask
	}
	s.slots[i] = uint32(idx + 1)
	s.count++
}
