package worker

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzReadFrame feeds arbitrary bytes to the frame decoder: it must return
// frames, io.EOF or a *ProtocolError, never panic, and never allocate more
// than its limit for one frame.
func FuzzReadFrame(f *testing.F) {
	f.Add(frameBytes(frameHello, 0, encodeWorkerHello("id", []string{"a", "b"})))
	f.Add(frameBytes(frameResult, 7, []byte("output")))
	f.Add(frameBytes(frameError, 1, encodeTaskError(errKindPanic, "boom", "stack")))
	f.Add(append(frameBytes(frameProgress, 2, []byte("1")), 0xff, 0xff, 0xff, 0x7f))
	f.Add([]byte("this is not a frame, it is garbage!!"))
	const limit = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		var hdr [headerSize]byte
		for {
			fr, err := readFrame(r, &hdr, limit)
			if err != nil {
				var pe *ProtocolError
				require.True(t, errors.Is(err, io.EOF) || errors.As(err, &pe), "unexpected error %v", err)
				return
			}
			require.LessOrEqual(t, len(fr.payload), limit)
			// What the parent does with a decoded frame must not panic either.
			switch fr.typ {
			case frameHello:
				_, _, _ = decodeWorkerHello(fr)
				_, _, _ = decodeParentHello(fr)
			case frameError:
				_, _, _, _ = decodeTaskError(fr.payload)
			case frameCall:
				_, _, _ = decodeCall(fr.payload)
			}
		}
	})
}

func frameBytes(typ byte, id uint64, payload []byte) []byte {
	b := make([]byte, headerSize, headerSize+len(payload))
	putHeader(b, typ, id, len(payload))
	return append(b, payload...)
}

func TestReadFrameRejects(t *testing.T) {
	var hdr [headerSize]byte
	over := frameBytes(frameResult, 1, nil)
	putHeader(over, frameResult, 1, 1<<30)
	_, err := readFrame(bytes.NewReader(over), &hdr, 1<<20)
	require.ErrorIs(t, err, ErrProtocol, "a header claiming more than the limit is refused before any allocation")
	reserved := frameBytes(frameResult, 1, nil)
	reserved[6] = 1
	_, err = readFrame(bytes.NewReader(reserved), &hdr, 1<<20)
	require.ErrorIs(t, err, ErrProtocol)
	_, err = readFrame(bytes.NewReader(frameBytes(frameResult, 1, []byte("abc"))[:18]), &hdr, 1<<20)
	require.ErrorIs(t, err, ErrProtocol, "a truncated payload")
	_, err = readFrame(bytes.NewReader(nil), &hdr, 1<<20)
	require.ErrorIs(t, err, io.EOF)
	fr, err := readFrame(bytes.NewReader(frameBytes(frameProgress, 9, []byte("abc"))), &hdr, 1<<20)
	require.NoError(t, err)
	require.Equal(t, frame{typ: frameProgress, id: 9, payload: []byte("abc")}, fr)
}
