// Package peer is one connection to a remote node: framing, the version
// handshake, keepalive and a bounded send queue.
//
// # Lifecycle
//
//	p, err := peer.New(conn, inbound, cfg)    // wrap a connected net.Conn
//	err = p.Handshake(ctx, local, onVersion)  // blocks: versions and veracks exchanged
//	err = p.Run(ctx)                          // blocks until ctx ends or the peer disconnects
//
// Handshake sends our Version, checks the remote's (self-connection by
// nonce, minimum protocol, same app and a compatible app version, then the
// caller's onVersion), and returns once both sides have acknowledged. It is
// bounded by Config.HandshakeTimeout (ErrHandshakeTimeout); a cancelled ctx
// is ErrCanceled instead, which unwraps to ctx.Err(). A refused remote is
// sent a reject message with the reason, which its Handshake reports as
// ErrRejected.
//
// Run starts a writer goroutine and reads on the calling one; it returns
// only after both have exited. Cancelling ctx, Disconnect (idempotent), a
// protocol violation, a remote close, an idle or stalled connection or a
// write that misses its deadline all end it, and Run returns the cause.
//
// # Sending
//
// Send queues a message and waits for room in the bounded queue
// (Config.QueueSize) only until the caller's ctx ends or the peer
// disconnects: no send ever blocks after shutdown. TrySend never waits: a
// full queue is ErrQueueFull and queues nothing. A message accepted by either
// and not written before the peer disconnects is counted in Stats.Dropped,
// so every accepted message is in Stats.MsgsSent or Stats.Dropped. Writes
// carry a deadline of Config.WriteTimeout plus one second per
// WriteBytesPerSecond bytes.
//
// # Framing
//
// Every frame has a 24-byte header (magic, command, length, CRC-32C) and is
// checked before its payload is read: per-network magic, a printable command
// of at most 12 bytes known to the Config, a length within the command's
// limit and Config.MaxPayload. The payload buffer grows only as bytes
// arrive. Any violation disconnects with a typed error (ErrBadMagic,
// ErrBadCommand, ErrUnknownCommand, ErrPayloadTooLarge, ErrBadChecksum,
// ErrMalformed); the decoder is fuzzed. A connection that ends inside a
// frame is ErrDisconnected (wrapping io.ErrUnexpectedEOF): the remote went
// away mid-write, which is no misbehaviour.
//
// # Keepalive
//
// The writer pings after Config.PingInterval without one and measures the
// round trip (Stats.RTT); no pong within Config.StallTimeout is ErrStalled,
// nothing at all received for Config.IdleTimeout is ErrIdleTimeout. Both
// hold whatever protocol runs on top.
//
// # Errors
//
// Every error is an *Error with an ErrorKind, matched with errors.Is:
//
//	if errors.Is(err, peer.ErrHandshakeTimeout) { ... }
package peer
