package nodekit

import (
	"errors"
	"fmt"
)

// Closer is what Processor and Group have in common for Java's
// try-with-resources: in the JVM jar this interface extends
// java.lang.AutoCloseable (on Android it is a plain interface with the same
// close()).
type Closer interface {
	// Close is stop() for try-with-resources. It blocks like stop() (at most
	// the stop timeout), may be called from any thread, and is idempotent:
	// every call has stop()'s outcome. If that Result is not ok, close() throws
	// a NodekitException with the same kind and message.
	Close() error
}

// ErrorKind returns the Kind* constant of an exception thrown by a facade
// method (KindFailed for any other exception, KindOK for null). Apps call
// NodekitException.kind(), which calls this.
func ErrorKind(err error) int {
	var ke *kindError
	if errors.As(err, &ke) {
		return ke.kind
	}
	if err == nil {
		return KindOK
	}
	return kindOf(err)
}

// kindError is a failed Result as an error.
type kindError struct {
	kind    int
	message string
}

func (e *kindError) Error() string { return e.message }

// errorOf returns nil for an ok Result, else an error carrying its kind.
func errorOf(r *Result) error {
	if r.IsOk() {
		return nil
	}
	if r.Message() == "" {
		return &kindError{kind: r.Kind(), message: fmt.Sprintf("kind %d", r.Kind())}
	}
	return &kindError{kind: r.Kind(), message: r.Message()}
}
