package peer

import (
	"bytes"
	"testing"
)

// FuzzReadFrame feeds arbitrary bytes to the decoder: it must never panic,
// never allocate beyond what arrived (bounded by the limits), and a frame it
// accepts must re-encode to exactly the bytes it consumed. The corpus kept in
// testdata/fuzz/FuzzReadFrame runs as part of go test.
func FuzzReadFrame(f *testing.F) {
	f.Add(rawFrame(testMagic, "chat", []byte("hello")))
	f.Add(rawFrame(testMagic, CmdPing, make([]byte, 8)))
	f.Add(rawFrame(testMagic, CmdVersion, (&Version{Protocol: 1, AppName: "a", AppVersion: "1.0"}).encode()))
	f.Add(rawFrame(testMagic, CmdReject, encodeReject(RejectFull, "full")))
	f.Add(rawFrame(Magic{}, "chat", nil))
	c, _, err := testConfig().compile()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var hdr [HeaderSize]byte
		var buf []byte
		r := bytes.NewReader(in)
		cmd, payload, err := c.readFrame(r, &hdr, &buf)
		if cap(buf) > len(in)+growStep {
			t.Fatalf("buffer of %d bytes for %d bytes of input", cap(buf), len(in))
		}
		if err != nil {
			if _, ok := err.(*Error); !ok && len(in) >= HeaderSize {
				t.Fatalf("untyped error %T %v for a full header", err, err)
			}
			return
		}
		consumed := len(in) - r.Len()
		if got := c.appendFrame(nil, cmd, payload); !bytes.Equal(got, in[:consumed]) {
			t.Fatalf("re-encoded %x, consumed %x", got, in[:consumed])
		}
		// The built-in payloads decode without panicking.
		switch cmd {
		case CmdVersion:
			decodeVersion(payload)
		case CmdReject:
			decodeReject(payload)
		}
	})
}
