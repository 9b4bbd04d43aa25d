package worker

import (
	"bytes"
	"io"
	"sync"
)

// stderrTap drains a worker's standard error all the time, so a chatty
// worker never blocks on a full pipe. It copies everything to out and keeps,
// in bounded memory, the last tail bytes and the Go runtime's crash report:
// the bytes from the last line that starts a report ("panic: ", "fatal
// error: ", "unexpected fault address") up to reportLimit. Lines may be of
// any length.
type stderrTap struct {
	out  io.Writer
	tail int

	mu       sync.Mutex
	buf      []byte // the last tail bytes (a sliding window)
	report   []byte // the crash report, from its first line
	line     []byte // the start of the current line, up to maxTrigger bytes
	inReport bool
	lineOpen bool // the current line has started (line holds its first bytes)
	decided  bool // the current line is known to start a report or not
	inHeader bool // in a report, before its first blank line
}

// reportLimit bounds the crash report kept by a tap.
const reportLimit = 64 << 10

var triggers = [][]byte{[]byte("panic: "), []byte("fatal error: "), []byte("unexpected fault address"), []byte("SIGSEGV: "), []byte("SIGBUS: ")}

const maxTrigger = 24

func newStderrTap(out io.Writer, tail int) *stderrTap {
	return &stderrTap{out: out, tail: tail}
}

// drain copies r until it ends or fails.
func (t *stderrTap) drain(r io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			t.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// Write records p; it never fails (out's errors are ignored: losing the
// copy must not block or kill the worker).
func (t *stderrTap) Write(p []byte) (int, error) {
	if t.out != nil {
		_, _ = t.out.Write(p)
	}
	n := len(p)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.keepTail(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		seg := p
		if i >= 0 {
			seg = p[:i+1]
		}
		t.segment(seg, i >= 0)
		p = p[len(seg):]
	}
	return n, nil
}

// segment handles one piece of a line; ended says it includes the newline.
// The first maxTrigger bytes of a line are held until they tell whether the
// line starts a crash report.
func (t *stderrTap) segment(seg []byte, ended bool) {
	if !t.lineOpen {
		t.lineOpen, t.decided, t.line = true, false, t.line[:0]
	}
	if !t.decided {
		k := min(len(seg), maxTrigger-len(t.line))
		t.line = append(t.line, seg[:k]...)
		seg = seg[k:]
		if len(t.line) < maxTrigger && !ended {
			return
		}
		t.decided = true
		switch {
		case isTrigger(t.line) && !(t.inReport && t.inHeader):
			// A report starts; a trigger line inside a report's header
			// (as "fatal error: fault" after "unexpected fault address")
			// continues it.
			t.inReport, t.inHeader, t.report = true, true, t.report[:0]
		case len(bytes.TrimRight(t.line, "\r\n")) == 0 && ended:
			t.inHeader = false
		}
		if t.inReport {
			t.appendReport(t.line)
		}
	}
	if t.inReport {
		t.appendReport(seg)
	}
	if ended {
		t.lineOpen = false
	}
}

func (t *stderrTap) appendReport(p []byte) {
	t.report = append(t.report, p[:min(len(p), reportLimit-len(t.report))]...)
}

func isTrigger(line []byte) bool {
	for _, tr := range triggers {
		if bytes.HasPrefix(line, tr) {
			return true
		}
	}
	return false
}

func (t *stderrTap) keepTail(p []byte) {
	if t.tail <= 0 {
		return
	}
	if len(p) >= t.tail {
		t.buf = append(t.buf[:0], p[len(p)-t.tail:]...)
		return
	}
	if over := len(t.buf) + len(p) - t.tail; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
}

// crash returns the parsed report (message, stack) and the tail.
func (t *stderrTap) crash() (msg, stack, tail string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tail = string(t.buf)
	if !t.inReport {
		return "", "", tail
	}
	r := string(t.report)
	if i := bytes.Index(t.report, []byte("\n\n")); i >= 0 {
		return r[:i], trimLines(r[i+2:]), tail
	}
	return trimLines(r), "", tail
}

func trimLines(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}
