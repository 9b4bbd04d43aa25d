package lifecycle

import (
	"log/slog"
	"time"

	"nodekit.dev/nodekit/core/clock"
)

// Default timeouts, used where no option sets one.
const (
	DefaultStartTimeout = 15 * time.Second // per service that signals readiness
	DefaultStopTimeout  = 10 * time.Second // per service
	DefaultGroupStop    = 30 * time.Second // for a whole Group
)

// An Option configures one service, in Group.Add or Start.
type Option func(*serviceOptions)

type serviceOptions struct {
	startTimeout time.Duration
	stopTimeout  time.Duration
	restart      *RestartPolicy
}

// apply sets o to the defaults overridden by opts.
func (o *serviceOptions) apply(opts []Option) {
	*o = serviceOptions{startTimeout: DefaultStartTimeout, stopTimeout: DefaultStopTimeout}
	for _, opt := range opts {
		opt(o)
	}
}

// explicit returns only what opts set, without defaults (zero: not set).
func explicit(opts []Option) serviceOptions {
	var o serviceOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithStartTimeout bounds how long a service that signals readiness may take
// to call Ready (default DefaultStartTimeout), in a Group and in Start alike.
// A service that overruns it is named in a *TimeoutError (ErrStartTimeout),
// its context is cancelled and it is left to finish in the background: the
// start fails at once. It has no effect on services that are ready when
// entered.
func WithStartTimeout(d time.Duration) Option { return func(o *serviceOptions) { o.startTimeout = d } }

// WithStopTimeout bounds how long a service may take to return from Run once
// it is asked to stop. A service that overruns it is named in the stop error
// and left to finish in the background.
func WithStopTimeout(d time.Duration) Option { return func(o *serviceOptions) { o.stopTimeout = d } }

// WithRestart restarts the service when it fails, as p says.
func WithRestart(p RestartPolicy) Option {
	return func(o *serviceOptions) { p := p.withDefaults(); o.restart = &p }
}

// A GroupOption configures a Group.
type GroupOption func(*groupOptions)

type groupOptions struct {
	stopTimeout time.Duration
	obsTimeout  time.Duration
	clock       clock.Clock
	log         *slog.Logger
}

// WithGroupStopTimeout bounds the whole stop of a Group, all services together.
// Each service gets the smaller of its own stop timeout and what is left.
func WithGroupStopTimeout(d time.Duration) GroupOption {
	return func(o *groupOptions) { o.stopTimeout = d }
}

// WithObserverTimeout bounds how long the observers may take to acknowledge
// the start events (default DefaultStartTimeout): a Group counts as running
// only once every observer has returned for every start event so far, so
// that an observer's refusal is the start's outcome. An observer that
// overruns is named in a *TimeoutError (ErrStartTimeout) and the start fails.
func WithObserverTimeout(d time.Duration) GroupOption {
	return func(o *groupOptions) { o.obsTimeout = d }
}

// WithClock makes a Group time its timeouts and backoff with c (tests pass a
// *clock.Fake).
func WithClock(c clock.Clock) GroupOption { return func(o *groupOptions) { o.clock = c } }

// WithLogger makes a Group log observer failures and restarts to l
// (default: slog.Default()).
func WithLogger(l *slog.Logger) GroupOption { return func(o *groupOptions) { o.log = l } }
