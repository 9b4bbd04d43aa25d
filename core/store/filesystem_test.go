package store_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/store"
)

func newPersister(t *testing.T) *store.FilesystemPersister {
	t.Helper()
	p, err := store.NewFilesystemPersister(t.TempDir())
	require.NoError(t, err)
	return p
}

// dirNames lists the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestFilesystemPersisterRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p, err := store.NewFilesystemPersister(dir)
	require.NoError(t, err)
	assert.Equal(t, dir, p.Dir())

	require.NoError(t, p.Persist("state", []byte("hello, state")))
	got, err := p.Load("state")
	require.NoError(t, err)
	assert.Equal(t, []byte("hello, state"), got)
	assert.Equal(t, []string{"state"}, dirNames(t, dir), "only the state file, no temporary files")

	// A second persister on the same directory sees the same state.
	p2, err := store.NewFilesystemPersister(dir)
	require.NoError(t, err)
	got, err = p2.Load("state")
	require.NoError(t, err)
	assert.Equal(t, []byte("hello, state"), got)
}

func TestFilesystemPersisterCreatesDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b", "state")
	p, err := store.NewFilesystemPersister(dir + "/")
	require.NoError(t, err)
	assert.Equal(t, dir, p.Dir(), "Dir is cleaned")
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.True(t, fi.IsDir())
	assert.Equal(t, fs.FileMode(0o700), fi.Mode().Perm())
	require.NoError(t, p.Persist("k", []byte("v")))
}

func TestFilesystemPersisterBadDir(t *testing.T) {
	_, err := store.NewFilesystemPersister("")
	require.Error(t, err)

	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o600))
	_, err = store.NewFilesystemPersister(file)
	require.Error(t, err, "a regular file is not a directory")
}

// TestFilesystemPersisterFileFormat pins the documented on-disk layout.
func TestFilesystemPersisterFileFormat(t *testing.T) {
	p := newPersister(t)
	payload := []byte("payload bytes")
	require.NoError(t, p.Persist("fmt", payload))

	raw, err := os.ReadFile(filepath.Join(p.Dir(), "fmt"))
	require.NoError(t, err)
	require.Len(t, raw, 16+len(payload))
	assert.Equal(t, "NKP1", string(raw[0:4]), "magic and format version")
	assert.Equal(t, uint64(len(payload)), binary.LittleEndian.Uint64(raw[4:12]), "payload length, uint64 LE")
	assert.Equal(t, crc32.Checksum(payload, crc32.MakeTable(crc32.Castagnoli)),
		binary.LittleEndian.Uint32(raw[12:16]), "CRC-32C of the payload, uint32 LE")
	assert.Equal(t, payload, raw[16:])

	fi, err := os.Stat(filepath.Join(p.Dir(), "fmt"))
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm(), "state files are private")
}

func TestFilesystemPersisterOverwrite(t *testing.T) {
	p := newPersister(t)
	for _, v := range []string{"first", "a much longer second version", "3rd"} {
		require.NoError(t, p.Persist("state", []byte(v)))
		got, err := p.Load("state")
		require.NoError(t, err)
		assert.Equal(t, v, string(got))
	}
	assert.Equal(t, []string{"state"}, dirNames(t, p.Dir()))
}

func TestFilesystemPersisterEmptyPayload(t *testing.T) {
	p := newPersister(t)
	for _, data := range [][]byte{nil, {}} {
		require.NoError(t, p.Persist("empty", data))
		got, err := p.Load("empty")
		require.NoError(t, err)
		assert.NotNil(t, got, "an empty payload loads as a non-nil empty slice")
		assert.Empty(t, got)

		fi, err := os.Stat(filepath.Join(p.Dir(), "empty"))
		require.NoError(t, err)
		assert.Equal(t, int64(16), fi.Size(), "header only")
	}
}

func TestFilesystemPersisterLargePayload(t *testing.T) {
	p := newPersister(t)
	data := make([]byte, 4<<20)
	rand.NewChaCha8([32]byte{1, 2, 3}).Read(data)
	require.NoError(t, p.Persist("large", data))
	got, err := p.Load("large")
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got), "4 MiB payload round-trips")
}

func TestFilesystemPersisterInvalidKeys(t *testing.T) {
	p := newPersister(t)
	for _, key := range []string{
		"",
		".",
		"..",
		"a/b",
		"../escape",
		"/abs",
		`a\b`,
		"with space",
		"tab\t",
		"nul\x00",
		"ключ",
		"colon:",
		store.TempFilePrefix,
		store.TempFilePrefix + "x",
		strings.Repeat("k", store.MaxKeyLen+1),
	} {
		t.Run(fmt.Sprintf("%q", key), func(t *testing.T) {
			err := p.Persist(key, []byte("x"))
			require.ErrorIs(t, err, store.ErrInvalidKey)
			var ke *store.KeyError
			require.ErrorAs(t, err, &ke)
			assert.Equal(t, key, ke.Key)
			assert.NotEmpty(t, ke.Reason)
			assert.Contains(t, err.Error(), "invalid state key")

			_, err = p.Load(key)
			require.ErrorIs(t, err, store.ErrInvalidKey)
		})
	}
	assert.Empty(t, dirNames(t, p.Dir()), "nothing written for invalid keys")
}

func TestFilesystemPersisterUnusualValidKeys(t *testing.T) {
	p := newPersister(t)
	for _, key := range []string{
		"...",
		".hidden",
		"-dash",
		"a.B-c_9",
		".nkp-tm", // a prefix of the reserved prefix is fine
		strings.Repeat("k", store.MaxKeyLen),
	} {
		require.NoError(t, p.Persist(key, []byte(key)), key)
		got, err := p.Load(key)
		require.NoError(t, err, key)
		assert.Equal(t, key, string(got))
	}
}

func TestFilesystemPersisterMissingKey(t *testing.T) {
	p := newPersister(t)
	_, err := p.Load("absent")
	require.ErrorIs(t, err, fs.ErrNotExist)
	assert.NotErrorIs(t, err, store.ErrCorrupt)
	assert.Contains(t, err.Error(), "absent")
}

func TestFilesystemPersisterCorrupt(t *testing.T) {
	payload := []byte("hello, state") // 12 bytes
	for _, tc := range []struct {
		name   string
		mutate func(raw []byte) []byte
		reason string
	}{
		{"flipped payload byte", func(r []byte) []byte { r[16+3] ^= 0x01; return r }, "checksum mismatch"},
		{"flipped checksum byte", func(r []byte) []byte { r[12] ^= 0x80; return r }, "checksum mismatch"},
		{"truncated payload", func(r []byte) []byte { return r[:len(r)-1] }, "truncated: header says 12 payload bytes, file holds 11"},
		{"truncated to header", func(r []byte) []byte { return r[:16] }, "truncated: header says 12 payload bytes, file holds 0"},
		{"truncated header", func(r []byte) []byte { return r[:10] }, "truncated header: file has 10 bytes"},
		{"empty file", func(r []byte) []byte { return r[:0] }, "truncated header: file has 0 bytes"},
		{"trailing bytes", func(r []byte) []byte { return append(r, "junk"...) }, "4 trailing bytes: header says 12 payload bytes, file holds 16"},
		{"length too small", func(r []byte) []byte { binary.LittleEndian.PutUint64(r[4:], 0); return r }, "12 trailing bytes"},
		{"huge length", func(r []byte) []byte { binary.LittleEndian.PutUint64(r[4:], 1<<63); return r }, "truncated: header says 9223372036854775808 payload bytes"},
		{"bad magic", func(r []byte) []byte { copy(r, "JSON"); return r }, `bad magic "JSON", want "NKP1"`},
		{"unsupported version", func(r []byte) []byte { r[3] = '2'; return r }, "unsupported format version 2"},
		{"unsupported version byte", func(r []byte) []byte { r[3] = 0xff; return r }, "unsupported format version byte 0xff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPersister(t)
			require.NoError(t, p.Persist("state", payload))
			path := filepath.Join(p.Dir(), "state")
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, tc.mutate(raw), 0o600))

			got, err := p.Load("state")
			assert.Nil(t, got)
			require.ErrorIs(t, err, store.ErrCorrupt)
			assert.NotErrorIs(t, err, fs.ErrNotExist)
			var ce *store.CorruptError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, path, ce.Path)
			assert.Contains(t, ce.Reason, tc.reason)
			assert.Contains(t, err.Error(), path, "message names the file")
			assert.Contains(t, err.Error(), tc.reason, "message says what is wrong")
			t.Log(err)
		})
	}
}

func TestFilesystemPersisterRemovesStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	p, err := store.NewFilesystemPersister(dir)
	require.NoError(t, err)
	require.NoError(t, p.Persist("state", []byte("kept")))

	stale := []string{store.TempFilePrefix + "123", store.TempFilePrefix + "abc"}
	for _, name := range stale {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("half a write"), 0o600))
	}
	others := map[string]string{
		"notes.txt":                    "unrelated",
		"x" + store.TempFilePrefix:     "prefix not at the start",
		".nkp-tmp":                     "not the full prefix",
		store.TempFilePrefix[1:] + "1": "prefix without its dot",
	}
	for name, content := range others {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600))
	}
	subdir := filepath.Join(dir, store.TempFilePrefix+"dir")
	require.NoError(t, os.Mkdir(subdir, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(subdir, "inner"), []byte("inner"), 0o600))

	p, err = store.NewFilesystemPersister(dir)
	require.NoError(t, err)

	for _, name := range stale {
		assert.NoFileExists(t, filepath.Join(dir, name))
	}
	for name, content := range others {
		got, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err, name)
		assert.Equal(t, content, string(got), name)
	}
	assert.FileExists(t, filepath.Join(subdir, "inner"), "directories are not touched")
	got, err := p.Load("state")
	require.NoError(t, err)
	assert.Equal(t, "kept", string(got))
}

func TestFilesystemPersisterFailedPersistCleansUp(t *testing.T) {
	p := newPersister(t)
	// A non-empty directory where the state file should go: rename must fail.
	require.NoError(t, os.MkdirAll(filepath.Join(p.Dir(), "blocked", "sub"), 0o700))

	err := p.Persist("blocked", []byte("new"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `persist "blocked"`)
	assert.Equal(t, []string{"blocked"}, dirNames(t, p.Dir()), "no temporary file left behind")
}

// concurrentPayload is self-describing so a torn or mixed file is detected.
func concurrentPayload(writer, i int) []byte {
	return fmt.Appendf(nil, "writer=%d i=%d %s", writer, i, strings.Repeat(fmt.Sprintf("<%d.%d>", writer, i), 100+writer*37+i))
}

func TestFilesystemPersisterConcurrent(t *testing.T) {
	p := newPersister(t)
	const keys, writes, sharedWriters = 8, 20, 4

	valid := make(map[string]bool) // every payload written to "shared"
	for w := range sharedWriters {
		for i := range writes {
			valid[string(concurrentPayload(100+w, i))] = true
		}
	}

	var wg sync.WaitGroup
	errs := make(chan error, keys*writes+sharedWriters*writes)
	for k := range keys {
		wg.Go(func() {
			for i := range writes {
				if err := p.Persist(fmt.Sprintf("key-%d", k), concurrentPayload(k, i)); err != nil {
					errs <- err
				}
			}
		})
	}
	for w := range sharedWriters {
		wg.Go(func() {
			for i := range writes {
				if err := p.Persist("shared", concurrentPayload(100+w, i)); err != nil {
					errs <- err
				}
				// Loads race with the writers: each must see one whole version.
				if got, err := p.Load("shared"); err != nil {
					errs <- err
				} else if !valid[string(got)] {
					errs <- fmt.Errorf("load during writes returned a torn payload of %d bytes", len(got))
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	for k := range keys {
		got, err := p.Load(fmt.Sprintf("key-%d", k))
		require.NoError(t, err)
		assert.Equal(t, concurrentPayload(k, writes-1), got, "last write of key-%d", k)
	}
	got, err := p.Load("shared")
	require.NoError(t, err)
	assert.True(t, valid[string(got)], "shared key holds one complete version")
	for _, name := range dirNames(t, p.Dir()) {
		assert.False(t, strings.HasPrefix(name, store.TempFilePrefix), "temporary file %s left behind", name)
	}
}

// --- crash test ---

const (
	crashDirEnv = "NODEKIT_PROCESSOR_CRASH_WRITER_DIR"
	crashKey    = "state"
)

// crashPayload returns version n of the crash test's state: n as 8 bytes
// little endian, then a pseudo-random body of 1 KiB to 256 KiB derived from n
// alone. Any mix of two versions, or a prefix of one, fails checkCrashPayload.
func crashPayload(n uint64) []byte {
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], n)
	r := rand.NewChaCha8(seed)
	size := 1<<10 + int(r.Uint64()%(255<<10+1))
	b := make([]byte, 8+size)
	binary.LittleEndian.PutUint64(b, n)
	_, _ = r.Read(b[8:])
	return b
}

func checkCrashPayload(b []byte) (uint64, error) {
	if len(b) < 8 {
		return 0, fmt.Errorf("payload of %d bytes, too short", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n == 0 || !bytes.Equal(b, crashPayload(n)) {
		return n, fmt.Errorf("payload of %d bytes claiming version %d is not that version", len(b), n)
	}
	return n, nil
}

// crashWriter is the child process of TestFilesystemPersisterCrash, run by
// TestMain when crashDirEnv names dir. It persists versions 1, 2, 3, ... of
// crashKey and prints "written N" after each Persist returns, until it is
// killed; it returns an exit code only if it fails or outlives its parent.
func crashWriter(dir string) int {
	p, err := store.NewFilesystemPersister(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	// Safety net: never outlive a parent that failed to kill us by long.
	deadline := time.Now().Add(time.Minute)
	next := crashPayload(1)
	for n := uint64(1); time.Now().Before(deadline); n++ {
		if err := p.Persist(crashKey, next); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		// Prepare the next version before reporting this one, so that a
		// kill sent on the report lands in the next Persist, not in here.
		next = crashPayload(n + 1)
		if _, err := fmt.Fprintf(os.Stdout, "written %d\n", n); err != nil {
			return 3
		}
	}
	fmt.Fprintln(os.Stderr, "crash writer: deadline reached without being killed")
	return 4
}

type crashRun struct {
	target, reported, loaded uint64
	staleTemp                bool
}

// runCrashWriter starts the writer child on dir, SIGKILLs it jitter after it
// has reported target completed writes, drains its output and reaps it. It
// returns the last version the child reported as completed.
func runCrashWriter(t *testing.T, dir string, target uint64, jitter time.Duration) uint64 {
	t.Helper()
	cmd := exec.Command(os.Args[0]) // TestMain runs crashWriter, no test
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	var last uint64
	killed := false
	kill := func() {
		if !killed {
			killed = true
			assert.NoError(t, cmd.Process.Kill()) // SIGKILL, whatever the child is doing
		}
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() { // until EOF: the child is dead and its output drained
		var n uint64
		if _, err := fmt.Sscanf(sc.Text(), "written %d", &n); err != nil {
			t.Errorf("child printed %q, not a report", sc.Text())
			kill()
			continue
		}
		if n != last+1 {
			t.Errorf("child reported version %d after %d", n, last)
			kill()
		}
		last = n
		if last >= target && !killed {
			// The child is now inside Persist(target+1). A random delay (not
			// synchronisation: the check below holds for any delay) spreads
			// the kill over that Persist: before the temporary file exists,
			// while it is written or fsynced, around the rename, or after.
			time.Sleep(jitter)
			kill()
		}
	}
	if !killed { // output ended early: the child failed (checked below)
		_ = cmd.Process.Kill()
	}
	werr := cmd.Wait()

	var ee *exec.ExitError
	require.ErrorAs(t, werr, &ee, "child stderr: %s", stderr.String())
	ws, ok := ee.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL,
		"child should die of SIGKILL, got %v; stderr: %s", ee, stderr.String())
	require.GreaterOrEqual(t, last, target, "child died before target; stderr: %s", stderr.String())
	return last
}

// TestFilesystemPersisterCrash kills a writer process with SIGKILL in the
// middle of its Persist loop and checks that the state it leaves behind loads
// as one complete version: the last one it reported, or the one in flight.
func TestFilesystemPersisterCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	const iterations = 40
	const crashMaxJitter = 6 * time.Millisecond // about one Persist in the child
	start := time.Now()
	runs := make([]crashRun, 0, iterations)
	for i := range iterations {
		dir := t.TempDir()
		target := uint64(1 + rand.IntN(20))
		jitter := time.Duration(rand.Int64N(int64(crashMaxJitter)))
		reported := runCrashWriter(t, dir, target, jitter)

		stale := false
		for _, name := range dirNames(t, dir) {
			stale = stale || strings.HasPrefix(name, store.TempFilePrefix)
		}
		p, err := store.NewFilesystemPersister(dir) // the restart
		require.NoError(t, err)
		assert.Equal(t, []string{crashKey}, dirNames(t, dir), "restart removes the crashed write's temporary file")

		data, err := p.Load(crashKey)
		require.NoError(t, err, "iteration %d: state after crash must load", i)
		m, err := checkCrashPayload(data)
		require.NoError(t, err, "iteration %d", i)
		require.GreaterOrEqual(t, m, reported, "iteration %d: a completed Persist was lost", i)
		require.LessOrEqual(t, m, reported+1, "iteration %d: a version from the future", i)
		runs = append(runs, crashRun{target: target, reported: reported, loaded: m, staleTemp: stale})
	}

	var total, minW, maxW, landed, staleN uint64
	minW = ^uint64(0)
	for _, r := range runs {
		total += r.reported
		minW, maxW = min(minW, r.reported), max(maxW, r.reported)
		if r.loaded == r.reported+1 {
			landed++
		}
		if r.staleTemp {
			staleN++
		}
	}
	t.Logf("%d crash runs in %v: %d..%d completed versions per run (%d total, %.1f avg); "+
		"in-flight version landed in %d runs, temporary file left behind in %d runs",
		len(runs), time.Since(start).Round(time.Millisecond), minW, maxW, total,
		float64(total)/float64(len(runs)), landed, staleN)
}

// --- example ---

func ExampleFilesystemPersister() {
	dir, err := os.MkdirTemp("", "nodekit-state-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	p, err := store.NewFilesystemPersister(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := p.Persist("counter", []byte("42")); err != nil {
		fmt.Println(err)
		return
	}
	data, err := p.Load("counter")
	fmt.Printf("%s %v\n", data, err)

	_, err = p.Load("missing")
	fmt.Println(errors.Is(err, fs.ErrNotExist))
	// Output:
	// 42 <nil>
	// true
}
