package nodekit

import (
	"context"
	"io"
	"log/slog"
	"strings"
)

// Log levels passed to Logger.log (Go's slog levels: higher is more severe;
// map them onto your logging framework's levels).
const (
	LevelDebug = -4
	LevelInfo  = 0
	LevelWarn  = 4
	LevelError = 8
)

// Logger receives nodekit's log lines. Implement it in Java (for instance on
// top of java.util.logging or SLF4J); pass null to log nowhere. log() is
// called on background threads owned by Go, possibly several at once: it
// must be thread-safe and should not block.
type Logger interface {
	// Log receives one line: a Level* constant and the message followed by
	// its attributes as " key=value" pairs. An exception it throws is
	// dropped: a broken logger never stops a processor or a group.
	Log(level int, message string) error
}

// slogFor returns a *slog.Logger writing to l, or one that discards if l is nil.
func slogFor(l Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(&logHandler{l: l})
}

// logHandler is a slog.Handler that hands each record to a Java Logger.
type logHandler struct {
	l     Logger
	attrs []slog.Attr
}

func (h *logHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	write := func(a slog.Attr) bool {
		b.WriteByte(' ')
		b.WriteString(a.Key)
		b.WriteByte('=')
		b.WriteString(a.Value.String())
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	var err error
	func() {
		defer guard(&err) // a broken logger must not take the node down
		err = h.l.Log(int(r.Level), b.String())
	}()
	return err
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logHandler{l: h.l, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

func (h *logHandler) WithGroup(string) slog.Handler { return h }
