// Package nodekit is the gomobile facade of nodekit: gobind turns it into the
// Java package dev.nodekit (class Nodekit for the functions and constants
// below, one class per exported type).
//
// Rules every exported member follows, so that nothing is lost on the way to
// Java or Kotlin:
//   - Only gomobile's types cross: signed integers, float64, bool, string,
//     []byte, pointers to this package's structs, this package's interfaces and
//     error. Enums are int constants (State*, Kind*, Level*).
//   - join() and stop() return a Result and never throw; calls that can only
//     fail through misuse throw a NodekitException carrying a Kind*.
//   - Every interface a Java object implements (Service, Observer, Logger) may
//     be passed as null, meaning "the default": no hooks, no observer, no logs.
//     Their methods return error, so a Java exception becomes a Go error.
//   - Every entry point recovers Go panics into errors: a bug never kills the JVM.
//   - Callbacks arrive on background threads, never the caller's.
//   - A handle dropped without stop() is stopped once the JVM collects its
//     proxy and Go then collects the object (the JVM runtime of the jar makes
//     that prompt by running a Go GC after each Java GC). Call stop(): relying
//     on collection is a leak detector, not a shutdown plan.
package nodekit

import (
	"runtime"

	_ "golang.org/x/mobile/bind" // gomobile needs the bind support package linked in
)

// Version returns the facade's version, as "0.1.0".
func Version() string { return "0.1.0" }

// CollectDropped runs the Go garbage collector, so that facade handles whose
// Java proxies have been collected are stopped. It blocks for one Go GC
// cycle (milliseconds). The jar's JVM runtime calls it after each Java GC
// cycle; an app may call it too, from any thread.
func CollectDropped() { runtime.GC() }
