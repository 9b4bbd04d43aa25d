// Package nodekit is the gomobile facade of nodekit (Java package dev.nodekit).
//
// PLACEHOLDER: the real facade is being written; this file only exists so the
// JVM build pipeline can be developed against a stable package.
package nodekit

import (
	"runtime"

	_ "golang.org/x/mobile/bind"
)

// Version reports the facade version.
func Version() string { return "0.1.0" }

// CollectDropped runs the Go garbage collector so that facade handles whose
// Java proxies were collected get their cleanups run (and so are stopped).
// The JVM runtime class calls it after each Java GC cycle.
func CollectDropped() { runtime.GC() }
