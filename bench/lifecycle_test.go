package bench

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/oklog/run"
	"github.com/thejerf/suture/v4"
	"go.uber.org/fx"
	"golang.org/x/sync/errgroup"
)

// BenchmarkErrgroup: N goroutines in an errgroup block on the group's
// context; "running" is all bodies entered; stop is cancel + Wait.
func BenchmarkErrgroup(b *testing.B) { benchErrgroup(b, &probe{}) }

func benchErrgroup(b *testing.B, p *probe) {
	b.ReportAllocs()
	before := runtime.NumGoroutine()
	for b.Loop() {
		p.arm()
		ctx, cancel := context.WithCancel(context.Background())
		g, gctx := errgroup.WithContext(ctx)
		for range p.size() {
			g.Go(func() error {
				p.enter()
				<-gctx.Done()
				p.exit()
				return nil
			})
		}
		p.waitRunning()
		cancel()
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	p.finish(b, before)
}

// BenchmarkOklogRun: N actors whose execute blocks on its own channel and
// whose interrupt closes it, plus one trigger actor; Run runs in a goroutine;
// stop is "the trigger actor returns", then Run's result is awaited.
func BenchmarkOklogRun(b *testing.B) {
	b.ReportAllocs()
	var p probe
	before := runtime.NumGoroutine()
	for b.Loop() {
		p.arm()
		var g run.Group
		for range numServices {
			stop := make(chan struct{})
			g.Add(func() error {
				p.enter()
				<-stop
				p.exit()
				return nil
			}, func(error) { close(stop) })
		}
		trigger := make(chan struct{})
		g.Add(func() error { <-trigger; return nil }, func(error) {})
		done := make(chan error, 1)
		go func() { done <- g.Run() }()
		p.waitRunning()
		close(trigger)
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	p.finish(b, before)
}

// sutureService is the no-op suture service. String gives suture its name, so
// that suture does not build one with fmt's %#v.
type sutureService struct {
	name string
	p    *probe
}

func (s *sutureService) Serve(ctx context.Context) error {
	s.p.enter()
	<-ctx.Done()
	s.p.exit()
	return nil
}

func (s *sutureService) String() string { return s.name }

// BenchmarkSuture: one supervisor with N services (built once, outside the
// loop, like the names); each iteration makes a new supervisor, adds them,
// ServeBackground, waits until all serve, cancels and waits for Serve's error.
func BenchmarkSuture(b *testing.B) {
	b.ReportAllocs()
	var p probe
	svcs := make([]*sutureService, numServices)
	for i := range svcs {
		svcs[i] = &sutureService{name: names[i], p: &p}
	}
	spec := suture.Spec{EventHook: func(suture.Event) {}}
	before := runtime.NumGoroutine()
	for b.Loop() {
		p.arm()
		sup := suture.New("bench", spec)
		for _, s := range svcs {
			sup.Add(s)
		}
		ctx, cancel := context.WithCancel(context.Background())
		errc := sup.ServeBackground(ctx)
		p.waitRunning()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			b.Fatalf("suture Serve returned %v, want context.Canceled", err)
		}
	}
	p.finish(b, before)
}

// fxHooks registers N hooks; each OnStart starts a goroutine that blocks on its
// own channel, each OnStop closes the channel and waits until the goroutine
// has returned (fx's idiom for a background service).
func fxHooks(p *probe) fx.Option {
	return fx.Invoke(func(lc fx.Lifecycle) {
		for range numServices {
			var stop, done chan struct{}
			lc.Append(fx.Hook{
				OnStart: func(context.Context) error {
					stop, done = make(chan struct{}), make(chan struct{})
					go func() {
						p.enter()
						<-stop
						p.exit()
						close(done)
					}()
					return nil
				},
				OnStop: func(context.Context) error {
					close(stop)
					<-done
					return nil
				},
			})
		}
	})
}

// fxCycle starts app, waits until all services run, and stops it.
func fxCycle(b *testing.B, app *fx.App, p *probe) {
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		b.Fatal(err)
	}
	p.waitRunning()
	if err := app.Stop(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFxStartStop: app.Start + app.Stop only; fx.New runs with the timer
// stopped.
func BenchmarkFxStartStop(b *testing.B) {
	b.ReportAllocs()
	var p probe
	opts := fx.Options(fx.NopLogger, fxHooks(&p))
	before := runtime.NumGoroutine()
	for b.Loop() {
		b.StopTimer()
		app := fx.New(opts)
		if err := app.Err(); err != nil {
			b.Fatal(err)
		}
		p.arm()
		b.StartTimer()
		fxCycle(b, app, &p)
	}
	p.finish(b, before)
}

// BenchmarkFxNewStartStop: fx.New + app.Start + app.Stop, all timed.
func BenchmarkFxNewStartStop(b *testing.B) {
	b.ReportAllocs()
	var p probe
	opts := fx.Options(fx.NopLogger, fxHooks(&p))
	before := runtime.NumGoroutine()
	for b.Loop() {
		app := fx.New(opts)
		if err := app.Err(); err != nil {
			b.Fatal(err)
		}
		p.arm()
		fxCycle(b, app, &p)
	}
	p.finish(b, before)
}
