//go:build unix

package worker

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// childFD is the worker's end of the socketpair: the first of ExtraFiles.
const childFD = 3

// spawn starts the worker process with its end of a socketpair inherited as
// file descriptor 3 (no listening socket, no path another process could
// open), in a process group of its own, and its standard error on a pipe
// the tap drains.
func (w *Worker) spawn() error {
	path := w.cfg.Path
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return &PathError{Path: "(this executable)", Err: err}
		}
		path = exe
	}
	w.path = path
	parentEnd, childEnd, err := socketpair()
	if err != nil {
		return err
	}
	defer childEnd.Close()
	stderrR, stderrW, err := os.Pipe()
	if err != nil {
		parentEnd.Close()
		return fmt.Errorf("worker: stderr pipe: %w", err)
	}
	defer stderrW.Close()

	cmd := exec.Command(path, w.cfg.Args...)
	cmd.Env = append(append(os.Environ(), w.cfg.Env...), envMarker+"="+strconv.Itoa(childFD))
	cmd.Dir = w.cfg.Dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, stderrW
	cmd.ExtraFiles = []*os.File{childEnd}
	cmd.SysProcAttr = sysProcAttr()
	// The parent-death signal fires when the thread that forked the child
	// exits: fork from a fresh goroutine, never from a thread locked by the
	// caller (a cgo or JVM callback thread that may go away).
	started := make(chan error, 1)
	go func() { started <- cmd.Start() }()
	if err := <-started; err != nil {
		parentEnd.Close()
		stderrR.Close()
		var ee *exec.Error
		if errors.As(err, &ee) || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
			return &PathError{Path: path, Err: err}
		}
		return fmt.Errorf("worker: start %s: %w", path, err)
	}
	w.pid, w.stderrR = cmd.Process.Pid, stderrR
	if w.conn, err = newConn(parentEnd); err != nil {
		_ = syscall.Kill(-w.pid, syscall.SIGKILL)
		_ = cmd.Wait()
		stderrR.Close()
		return err
	}
	w.proc = &osProcess{cmd: cmd}
	go func() {
		defer close(w.tapDone)
		w.tap.drain(stderrR)
	}()
	go w.waitLoop()
	return nil
}

type osProcess struct{ cmd *exec.Cmd }

func (p *osProcess) wait() (int, syscall.Signal) {
	_ = p.cmd.Wait()
	st := p.cmd.ProcessState
	if st == nil {
		return -1, 0
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1, ws.Signal()
	}
	return st.ExitCode(), 0
}

// kill sends SIGKILL to the worker's process group (the worker and anything
// it started).
func (p *osProcess) kill() { _ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) }
