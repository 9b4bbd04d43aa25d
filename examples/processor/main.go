// Command processor counts events in a background processor whose state is
// persisted with a FilesystemPersister: run it twice and the second run
// continues where the first stopped.
//
//	go run ./examples/processor               # state in <user cache dir>/nodekit/processor-example
//	go run ./examples/processor -dir ./state -for 5s
package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"time"

	"nodekit.dev/nodekit/core/processor"
	"nodekit.dev/nodekit/core/store"
)

func main() {
	dir := flag.String("dir", defaultDir(), "state directory")
	runFor := flag.Duration("for", 2*time.Second, "stop after this long (0: wait for Ctrl-C)")
	flag.Parse()
	if _, err := run(*dir, *runFor); err != nil {
		fmt.Fprintln(os.Stderr, "processor:", err)
		os.Exit(1)
	}
}

// run counts until runFor has passed (or Ctrl-C) and returns the count it
// persisted.
func run(dir string, runFor time.Duration) (int, error) {
	persister, err := store.NewFilesystemPersister(dir)
	if err != nil {
		return 0, err
	}
	// A missing file is a first run; a corrupt one is an error, never "empty".
	data, err := persister.Load("counter")
	count := 0
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fmt.Println("first run: counting from 0 in", dir)
	case err != nil:
		return 0, err
	default:
		if count, err = strconv.Atoi(string(data)); err != nil {
			return 0, fmt.Errorf("counter file holds %q: %w", data, err)
		}
		fmt.Println("resuming at", count, "from", dir)
	}

	state := processor.NewBlob(data)
	events := processor.NewQueue()
	h := processor.Start(processor.Config{
		Sources:   []processor.Source{events},
		State:     state,
		Persister: persister,
		StateKey:  "counter",
		Handler: processor.HandlerFunc(func(e processor.Event) error {
			count++
			state.Set([]byte(strconv.Itoa(count))) // dirty: persisted after this pass
			return nil
		}),
		Timers: []processor.Timer{{Name: "tick", Interval: 250 * time.Millisecond, Fire: func(now time.Time) error {
			events.Push(now)
			return nil
		}}},
	})

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	defer signal.Stop(stop)
	var deadline <-chan time.Time
	if runFor > 0 {
		deadline = time.After(runFor)
	}
	select {
	case <-stop:
	case <-deadline:
	case <-h.Done():
	}
	err = h.Stop()
	c := h.Counters()
	fmt.Printf("stopped at %s: %d events, %d persists (last took %s), %d passes; err=%v\n",
		state.Get(), c.Handled, c.Persists, c.LastPersist.Round(time.Microsecond), c.Passes, err)
	return count, err
}

// defaultDir is the state directory when -dir is not given: under the user's
// cache directory (os.UserCacheDir), or the temporary directory if there is
// none.
func defaultDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "nodekit", "processor-example")
}
