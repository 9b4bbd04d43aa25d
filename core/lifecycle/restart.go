package lifecycle

import (
	"math"
	"math/rand/v2"
	"time"
)

// RestartPolicy restarts a failed service after an exponential backoff with
// jitter, and gives up when it fails too often.
//
// The n-th failure within Window is followed by a delay of
// min(MaxBackoff, Backoff·Multiplier^(n-1)), stretched by a random factor in
// [1, 1+Jitter). Failure number MaxFailures+1 within Window fails the group
// with ErrTooManyRestarts. A failure that wraps ErrDoNotRestart is never
// retried. Zero fields take the defaults shown.
type RestartPolicy struct {
	Backoff     time.Duration // first delay; default 100ms
	MaxBackoff  time.Duration // largest delay; default 30s
	Multiplier  float64       // growth per failure; default 2
	Jitter      float64       // extra random fraction of the delay, 0 to 1; default 0
	MaxFailures int           // failures tolerated within Window; default 5
	Window      time.Duration // default 1m
}

func (p RestartPolicy) withDefaults() RestartPolicy {
	if p.Backoff <= 0 {
		p.Backoff = 100 * time.Millisecond
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = 30 * time.Second
	}
	if p.Multiplier < 1 {
		p.Multiplier = 2
	}
	p.Jitter = min(max(p.Jitter, 0), 1)
	if p.MaxFailures <= 0 {
		p.MaxFailures = 5
	}
	if p.Window <= 0 {
		p.Window = time.Minute
	}
	return p
}

// delay returns the backoff after the n-th failure in the window (n ≥ 1).
func (p RestartPolicy) delay(n int) time.Duration {
	d := float64(p.Backoff) * math.Pow(p.Multiplier, float64(n-1))
	d = min(d, float64(p.MaxBackoff))
	if p.Jitter > 0 {
		d *= 1 + p.Jitter*rand.Float64()
	}
	if d >= math.MaxInt64 { // a float this large does not convert to a Duration
		return math.MaxInt64
	}
	return time.Duration(d)
}

// failures keeps the times of recent failures of one service (see runTime).
type failures []runTime

// record adds a failure at now, forgets those older than window, and returns
// how many are left.
func (f *failures) record(now runTime, window time.Duration) int {
	kept := (*f)[:0]
	for _, t := range *f {
		if now-t < window {
			kept = append(kept, t)
		}
	}
	*f = append(kept, now)
	return len(*f)
}
