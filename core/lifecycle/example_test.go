package lifecycle_test

import (
	"context"
	"errors"
	"fmt"

	"nodekit.dev/nodekit/core/lifecycle"
)

// A Group starts services in order, waits for each to be ready, and stops them
// in reverse. An observer sees every transition.
func ExampleGroup() {
	g := lifecycle.NewGroup()
	for _, name := range []string{"store", "network"} {
		_ = g.Add(name, lifecycle.ReadyFunc(func(ctx context.Context) error {
			// open files, listen on sockets, ...
			lifecycle.Ready(ctx)
			<-ctx.Done()
			return nil
		}))
	}
	g.Observe(0, lifecycle.ObserverFunc(func(e lifecycle.Event) error {
		fmt.Printf("%s → %s\n", e.Service, e.To)
		return nil
	}))

	h := lifecycle.Start("node", g)
	<-h.Ready()
	fmt.Println("stop:", h.Stop())
	// Output:
	// store → Starting
	// store → Running
	// network → Starting
	// network → Running
	// network → Stopping
	// network → Stopped
	// store → Stopping
	// store → Stopped
	// stop: <nil>
}

// Start runs one service and gives a Handle to wait for it or stop it.
func ExampleStart() {
	h := lifecycle.Start("ticker", lifecycle.ServiceFunc(func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err() // a cancelled context after Stop is a clean stop
	}))
	fmt.Println(h.State())
	fmt.Println(h.Stop(), h.State())
	// Output:
	// Running
	// <nil> Stopped
}

// A callback stops its own handle with RequestStop; Stop there would say that
// it cannot wait for itself.
func ExampleHandle_RequestStop() {
	g := lifecycle.NewGroup()
	_ = g.Add("job", lifecycle.ServiceFunc(func(ctx context.Context) error { <-ctx.Done(); return nil }))
	var h *lifecycle.Handle
	ready := make(chan struct{})
	g.Observe(0, lifecycle.ObserverFunc(func(e lifecycle.Event) error {
		if e.To == lifecycle.Running {
			<-ready
			fmt.Println(errors.Is(h.Stop(), lifecycle.ErrCalledFromCallback))
			h.RequestStop() // what a callback calls: it never waits
		}
		return nil
	}))
	h = lifecycle.Start("node", g)
	close(ready)
	fmt.Println(h.Join(), h.State())
	// Output:
	// true
	// <nil> Stopped
}

// eventLog is a BatchObserver: the Group hands it every event queued at that
// moment in one call. Observe is there to satisfy Observer; a Group never
// calls it.
type eventLog struct{ lines []string }

func (l *eventLog) Observe(e lifecycle.Event) error { return l.ObserveBatch([]lifecycle.Event{e}) }

func (l *eventLog) ObserveBatch(events []lifecycle.Event) error {
	for _, e := range events {
		l.lines = append(l.lines, fmt.Sprintf("%s %s → %s", e.Service, e.From, e.To))
	}
	return nil
}

// A BatchObserver sees what an Observer sees, in fewer calls.
func ExampleBatchObserver() {
	g := lifecycle.NewGroup()
	for _, name := range []string{"store", "network"} {
		_ = g.Add(name, lifecycle.ReadyFunc(func(ctx context.Context) error {
			lifecycle.Ready(ctx)
			<-ctx.Done()
			return nil
		}))
	}
	log := &eventLog{}
	g.Observe(0, log)
	h := lifecycle.Start("node", g)
	<-h.Ready()
	fmt.Println("stop:", h.Stop()) // the observers have had every event when Stop returns
	for _, line := range log.lines {
		fmt.Println(line)
	}
	// Output:
	// stop: <nil>
	// store New → Starting
	// store Starting → Running
	// network New → Starting
	// network Starting → Running
	// network Running → Stopping
	// network Stopping → Stopped
	// store Running → Stopping
	// store Stopping → Stopped
}
