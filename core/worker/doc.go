// Package worker runs tasks in separate worker processes, so that a panic,
// an os.Exit, a Go fatal error or a segfault in a task is an error in the
// caller, never a crash of the caller.
//
// # Tasks and workers
//
// A task is a Func registered under a name with Register (raw bytes in and
// out), or a typed Task[In, Out] whose values travel through a Codec (JSON
// by default). Worker code calls Main first thing in main: in a process
// started as a worker it serves the registered tasks and exits; otherwise it
// does nothing. So the same executable is the program and its worker. A
// dedicated worker executable (for the JVM and Android, which cannot re-run
// themselves as Go programs) registers its tasks and calls Serve.
//
// Start spawns a worker (this executable, or Config.Path) connected by a
// socketpair inherited as file descriptor 3: no listening socket, no path
// another process could open. The handshake checks that the worker is the
// exact build of its parent (BuildID) and fails with a *VersionError
// otherwise; it races the worker's exit and Config.StartTimeout, so a worker
// that dies at start is reported at once.
//
// # Calls
//
// Worker.Call sends a task's input and waits for its output; calls are
// multiplexed by request id, so many run at once on one worker, each in its
// own goroutine there. A task can send progress updates (Progress) that the
// caller receives (OnProgress). Cancelling a call's context cancels the
// task's context in the worker; a task that runs on past Config.CancelGrace
// gets its worker killed. Inputs, outputs and updates are bounded by
// Config.MaxPayload (256 MiB by default); payloads are written straight from
// the caller's slice and read into one buffer of their exact size, so a
// 256 MiB round trip holds the input and the output and no other copy.
//
// # Failures
//
// A task's error or panic is a *TaskError and the worker lives on. When the
// worker dies, every call pending on it fails at once with the same
// *CrashError: the exit code or signal, the Go runtime's "panic:" or "fatal
// error:" report with its stack, the tail of standard error (which is
// drained all the time and copied to Config.Stderr) and the tasks that were
// in flight. A call is never run twice. Other failures are typed too:
// ErrUnknownTask, ErrPoolSize, *PathError (ErrWorkerPath), *PayloadError
// (ErrPayloadTooLarge), *ProtocolError (ErrProtocol: a worker that writes
// garbage on the channel is killed; the decoder never allocates more than
// the limit) and ErrClosed.
//
// # Lifetime
//
// Worker.Shutdown stops accepting calls, awaits the pending ones, closes the
// channel (the worker exits) and, after Config.ShutdownGrace, kills the
// worker's process group; the process is always reaped. A worker exits by
// itself when its parent dies: its channel reaches end of file, and on Linux
// the kernel sends it SIGKILL (the parent-death signal).
//
// # Pools
//
// A Pool spreads calls over Size workers, replaces crashed workers after an
// exponential backoff, fails with ErrCrashLoop when more than CrashLoop
// workers crash within CrashWindow, and recycles workers after MaxTasks
// calls or above MaxMemory bytes of resident memory. The calls that were on
// a crashed worker fail with its *CrashError and are not run again: the
// caller decides. A Pool is a lifecycle.Service (Run).
//
// # Platforms
//
// The package is for Unix (Linux, Android, macOS, iOS, the BSDs; not
// Windows). Config.InProcess runs the tasks in the calling process over the
// same channel and API, without isolation, for platforms (iOS) and tests that
// cannot spawn processes. The parent-death signal is Linux and Android only;
// elsewhere a worker notices its parent's death by end of file on the channel.
//
// Android: since Android 10 an app cannot execute files from its writable
// data directory. Ship the worker executable inside the APK as a native
// library instead: build it for each ABI, name it lib<something>.so (for
// example libnodekitworker.so), put it in the app's jniLibs/<abi>/ directory,
// set android:extractNativeLibs="true" (or useLegacyPackaging in Gradle) so
// it is installed as a file, and start it from
// context.getApplicationInfo().nativeLibraryDir + "/libnodekitworker.so".
package worker
