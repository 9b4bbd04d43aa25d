package peer

import "fmt"

// ErrorKind identifies a kind of peer failure. Every error this package returns
// is an *Error whose Kind matches with errors.Is, for example
// errors.Is(err, peer.ErrBadChecksum).
type ErrorKind string

// Error returns the kind's name.
func (k ErrorKind) Error() string { return string(k) }

// The kinds of error a peer reports.
const (
	// Framing: the remote sent bytes that are not a valid frame. The peer is
	// disconnected.
	ErrBadMagic        = ErrorKind("ErrBadMagic")        // the frame is for another network
	ErrBadCommand      = ErrorKind("ErrBadCommand")      // the command name is not printable ASCII, NUL-padded
	ErrUnknownCommand  = ErrorKind("ErrUnknownCommand")  // no limit is configured for the command
	ErrPayloadTooLarge = ErrorKind("ErrPayloadTooLarge") // over the command's limit or the global maximum
	ErrBadChecksum     = ErrorKind("ErrBadChecksum")     // the payload does not match its checksum
	ErrMalformed       = ErrorKind("ErrMalformed")       // an undecodable built-in payload (ping, pong, version, reject)

	// Handshake.
	ErrHandshakeTimeout = ErrorKind("ErrHandshakeTimeout") // the handshake deadline passed
	ErrCanceled         = ErrorKind("ErrCanceled")         // the caller's context ended; unwraps to ctx.Err()
	ErrNotVersion       = ErrorKind("ErrNotVersion")       // the first message was not a version
	ErrNotVerAck        = ErrorKind("ErrNotVerAck")        // the message after the versions was not a verack
	ErrSelfConnection   = ErrorKind("ErrSelfConnection")   // the remote sent our own nonce
	ErrProtocolTooOld   = ErrorKind("ErrProtocolTooOld")   // the remote's protocol version is below Config.MinProtocol
	ErrAppMismatch      = ErrorKind("ErrAppMismatch")      // another application, or an incompatible app version
	ErrInvalidVersion   = ErrorKind("ErrInvalidVersion")   // a Version (ours or theirs) breaks its field limits
	ErrVersionRejected  = ErrorKind("ErrVersionRejected")  // our onVersion callback refused the remote
	ErrRejected         = ErrorKind("ErrRejected")         // the remote refused us; Description is its reason

	// Running.
	ErrDisconnected  = ErrorKind("ErrDisconnected")  // the peer is disconnected, or the remote closed the connection (also inside a frame)
	ErrQueueFull     = ErrorKind("ErrQueueFull")     // TrySend found the send queue full; nothing was queued
	ErrIdleTimeout   = ErrorKind("ErrIdleTimeout")   // nothing was received for Config.IdleTimeout
	ErrStalled       = ErrorKind("ErrStalled")       // no pong within Config.StallTimeout of a ping
	ErrWriteTimeout  = ErrorKind("ErrWriteTimeout")  // a write did not finish within its deadline
	ErrHandlerFailed = ErrorKind("ErrHandlerFailed") // Config.OnMessage returned an error or panicked
	ErrMisuse        = ErrorKind("ErrMisuse")        // a call out of order: Run before Handshake, Run twice, a bad Config
)

// Error is a failure of one peer: a Kind, what happened, and the underlying
// error if there is one (a net error, ctx.Err(), a *lifecycle.PanicError).
type Error struct {
	Kind        ErrorKind
	Description string
	Err         error
}

func (e *Error) Error() string {
	s := string(e.Kind)
	if e.Description != "" {
		s += ": " + e.Description
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is matches the error's Kind.
func (e *Error) Is(target error) bool {
	k, ok := target.(ErrorKind)
	return ok && k == e.Kind
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func newErr(kind ErrorKind, err error, format string, args ...any) *Error {
	return &Error{Kind: kind, Description: fmt.Sprintf(format, args...), Err: err}
}
