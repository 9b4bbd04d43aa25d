// Package store keeps a node's durable state: byte payloads stored under short
// keys, each in its own file, replaced atomically and checked on every read.
//
// It is separate from the event loop (core/processor) because more than the
// loop persists: a processor writes its state through a FilesystemPersister
// (it satisfies processor.Persister), and a peer keeps its address book the
// same way.
//
// Contract, in short (FilesystemPersister has the details):
//   - Persist is atomic and durable: after a crash at any point a reader sees
//     the previous complete payload or the new one, never a mix. A test kills
//     a writer process with SIGKILL at random moments and checks this.
//   - Load never mistakes damage for state: a missing key matches
//     fs.ErrNotExist, a damaged or foreign file is a *CorruptError (ErrCorrupt),
//     a bad key is a *KeyError (ErrInvalidKey).
//   - The file format is versioned (see the layout constants in filesystem.go);
//     a file written by a newer format version is reported, not misread.
package store
