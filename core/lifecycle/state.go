package lifecycle

import (
	"fmt"
	"time"
)

// State is where a service is in its life.
//
//	New → Starting → Running → Stopping → Stopped
//	         ↘          ↘          ↘
//	                  Failed (keeps its cause; a Group may restart from here)
type State int32

// The states of a service.
const (
	New State = iota
	Starting
	Running
	Stopping
	Stopped
	Failed
)

var stateNames = [...]string{"New", "Starting", "Running", "Stopping", "Stopped", "Failed"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// Terminal reports whether s is Stopped or Failed.
func (s State) Terminal() bool { return s == Stopped || s == Failed }

// Event reports one state transition of one service.
type Event struct {
	Service  string        // the service's name
	From, To State         // the transition
	Duration time.Duration // how long the service was in From
	Err      error         // the cause, when To is Failed; otherwise nil
	At       time.Time     // when the transition happened
}

// IsStart reports whether e belongs to the start phase (to Starting or
// Running). Start events go to observers highest priority first, the others
// lowest priority first.
func (e Event) IsStart() bool { return e.To == Starting || e.To == Running }

func (e Event) String() string {
	s := fmt.Sprintf("%s: %s → %s after %s", e.Service, e.From, e.To, e.Duration)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}
