package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// On-disk layout of a state file written by FilesystemPersister.
//
//	offset  size  field
//	0       3     magic "NKP"
//	3       1     format version, as an ASCII digit; this package writes '1'
//	4       8     payload length in bytes, uint64 little endian
//	12      4     CRC-32C (Castagnoli) of the payload, uint32 little endian
//	16      n     payload
//
// A well-formed file is therefore exactly 16+n bytes long.
const (
	fileMagic      = "NKP"
	formatVersion  = 1
	headerSize     = 16
	lengthOffset   = 4
	checksumOffset = 12
)

// TempFilePrefix begins the name of every temporary file FilesystemPersister
// creates in its directory. Keys may not start with it, and
// NewFilesystemPersister deletes regular files whose names start with it as
// leftovers of an interrupted Persist. Backup tools can skip such files.
const TempFilePrefix = ".nkp-tmp-"

// MaxKeyLen is the longest key accepted, in bytes: a key is a file name.
const MaxKeyLen = 255

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Sentinel errors; match them with errors.Is.
var (
	// ErrInvalidKey: a key is not a valid state key. The error is a *KeyError.
	ErrInvalidKey = errors.New("invalid state key")
	// ErrCorrupt: a state file exists but is not a complete, intact file in a
	// supported format. The error is a *CorruptError.
	ErrCorrupt = errors.New("corrupt state file")
)

// KeyError reports a key rejected by FilesystemPersister. It matches
// ErrInvalidKey.
type KeyError struct {
	Key    string
	Reason string
}

func (e *KeyError) Error() string { return fmt.Sprintf("invalid state key %q: %s", e.Key, e.Reason) }

// Unwrap returns ErrInvalidKey.
func (e *KeyError) Unwrap() error { return ErrInvalidKey }

// CorruptError reports a state file that cannot be trusted: bad magic, an
// unsupported format version, a length that disagrees with the file size
// (truncated, or trailing bytes), or a checksum mismatch. It matches
// ErrCorrupt.
type CorruptError struct {
	Path   string // the state file
	Reason string // what is wrong with it
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("corrupt state file %s: %s", e.Path, e.Reason)
}

// Unwrap returns ErrCorrupt.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// FilesystemPersister is a processor.Persister that keeps each key's state in its own
// file, <dir>/<key>.
//
// Atomicity: Persist writes a temporary file in the same directory (header and
// payload), fsyncs it, closes it, renames it over <dir>/<key> and then fsyncs
// the directory. A reader, or a process restarted after a crash at any point,
// therefore sees either the previous complete state or the new complete state,
// never a mix or a partial file. Once Persist returns nil the new state is
// durable, as far as the file system honours fsync.
//
// File format: a 16-byte header followed by the payload:
//
//	"NKP1"          4 bytes: magic "NKP" and format version '1'
//	length          uint64 little endian: payload length in bytes
//	checksum        uint32 little endian: CRC-32C (Castagnoli) of the payload
//	payload         length bytes
//
// Load verifies all of it, so damage that slipped past the atomic rename
// (a disk error, a hand-edited or truncated file) is reported as a
// *CorruptError and never mistaken for empty or valid state.
//
// A FilesystemPersister is safe for concurrent use. Persists of different keys
// proceed independently; concurrent Persists of the same key each write a
// complete file and the last rename wins. A directory should be used by one
// FilesystemPersister (one process) at a time: NewFilesystemPersister deletes
// temporary files it finds there, including another writer's.
type FilesystemPersister struct {
	dir string
}

// NewFilesystemPersister returns a persister storing its files in dir. It
// creates dir (mode 0o700, and any missing parents) if it does not exist, and
// deletes regular files in dir whose names start with TempFilePrefix: the
// leftovers of a Persist interrupted by a crash. Other files are left alone.
func NewFilesystemPersister(dir string) (*FilesystemPersister, error) {
	if dir == "" {
		return nil, errors.New("filesystem persister: empty directory name")
	}
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("filesystem persister: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("filesystem persister: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), TempFilePrefix) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("filesystem persister: removing stale temporary file: %w", err)
		}
	}
	return &FilesystemPersister{dir: dir}, nil
}

// Dir returns the directory holding the state files (cleaned with
// filepath.Clean).
func (p *FilesystemPersister) Dir() string { return p.dir }

// Persist atomically replaces the state stored under key with data; see
// FilesystemPersister for the guarantee. On error the previous state is left
// in place and no temporary file remains, except if fsyncing the directory
// after the rename fails: then the new state is visible but may not be
// durable.
//
// A key is a file name: 1 to MaxKeyLen bytes from [A-Za-z0-9._-], neither "."
// nor "..", not starting with TempFilePrefix. Other keys fail with a *KeyError
// and nothing is written.
func (p *FilesystemPersister) Persist(key string, data []byte) error {
	if err := validateKey(key); err != nil {
		return err
	}
	if err := p.writeAtomic(key, data); err != nil {
		return fmt.Errorf("persist %q: %w", key, err)
	}
	return nil
}

func (p *FilesystemPersister) writeAtomic(key string, data []byte) (err error) {
	f, err := os.CreateTemp(p.dir, TempFilePrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				_ = f.Close()
			}
			_ = os.Remove(tmp)
		}
	}()

	var hdr [headerSize]byte
	copy(hdr[:], fileMagic)
	hdr[len(fileMagic)] = '0' + formatVersion
	binary.LittleEndian.PutUint64(hdr[lengthOffset:], uint64(len(data)))
	binary.LittleEndian.PutUint32(hdr[checksumOffset:], crc32.Checksum(data, castagnoli))
	if _, err = f.Write(hdr[:]); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	closed = true
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, filepath.Join(p.dir, key)); err != nil {
		return err
	}
	// The rename happened: from here on the temporary file is gone, so an
	// error must not trigger the cleanup above.
	if serr := syncDir(p.dir); serr != nil {
		return fmt.Errorf("state renamed into place but not made durable: %w", serr)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Load returns the state last persisted under key. If nothing was ever
// persisted under key the error matches fs.ErrNotExist. If the file exists but
// is damaged (bad magic, unsupported format version, a length that disagrees
// with the file size, or a checksum mismatch) the error is a *CorruptError
// matching ErrCorrupt. An invalid key fails with a *KeyError. An empty payload
// loads as a non-nil empty slice. The returned slice belongs to the caller.
func (p *FilesystemPersister) Load(key string) ([]byte, error) {
	if err := validateKey(key); err != nil {
		return nil, err
	}
	path := filepath.Join(p.dir, key)
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load %q: %w", key, err)
	}
	payload, reason := decode(raw)
	if reason != "" {
		return nil, &CorruptError{Path: path, Reason: reason}
	}
	return payload, nil
}

// decode checks a whole state file and returns its payload, or a non-empty
// reason why the file is corrupt.
func decode(raw []byte) ([]byte, string) {
	size := uint64(len(raw))
	if size < uint64(len(fileMagic))+1 {
		return nil, fmt.Sprintf("truncated header: file has %d bytes, a header needs %d", size, headerSize)
	}
	if string(raw[:len(fileMagic)]) != fileMagic {
		return nil, fmt.Sprintf("bad magic %q, want %q", raw[:len(fileMagic)+1], fileMagic+string(rune('0'+formatVersion)))
	}
	if v := raw[len(fileMagic)]; v != '0'+formatVersion {
		if v >= '0' && v <= '9' {
			return nil, fmt.Sprintf("unsupported format version %d (this build reads version %d)", v-'0', formatVersion)
		}
		return nil, fmt.Sprintf("unsupported format version byte 0x%02x (this build reads version %d)", v, formatVersion)
	}
	if size < headerSize {
		return nil, fmt.Sprintf("truncated header: file has %d bytes, a header needs %d", size, headerSize)
	}
	length := binary.LittleEndian.Uint64(raw[lengthOffset:])
	switch have := size - headerSize; {
	case length > have:
		return nil, fmt.Sprintf("truncated: header says %d payload bytes, file holds %d", length, have)
	case length < have:
		return nil, fmt.Sprintf("%d trailing bytes: header says %d payload bytes, file holds %d", have-length, length, have)
	}
	payload := raw[headerSize:]
	want := binary.LittleEndian.Uint32(raw[checksumOffset:])
	if got := crc32.Checksum(payload, castagnoli); got != want {
		return nil, fmt.Sprintf("checksum mismatch: header says CRC-32C %08x, payload has %08x", want, got)
	}
	return payload, ""
}

func validateKey(key string) error {
	reason := ""
	switch {
	case key == "":
		reason = "empty"
	case len(key) > MaxKeyLen:
		reason = fmt.Sprintf("%d bytes long, at most %d allowed", len(key), MaxKeyLen)
	case key == "." || key == "..":
		reason = "not a file name"
	case strings.HasPrefix(key, TempFilePrefix):
		reason = fmt.Sprintf("starts with the reserved prefix %q", TempFilePrefix)
	default:
		for i := 0; i < len(key); i++ {
			c := key[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
				reason = fmt.Sprintf("byte %q at offset %d; only [A-Za-z0-9._-] allowed", c, i)
				break
			}
		}
	}
	if reason == "" {
		return nil
	}
	return &KeyError{Key: key, Reason: reason}
}
