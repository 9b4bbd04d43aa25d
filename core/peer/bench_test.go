package peer

import (
	"bufio"
	"context"
	"io"
	"net"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The benchmarks come in pairs: a baseline doing the same I/O on bare
// net.Conns, and the peer package. Compare them side by side:
//
//	go test -run '^$' -bench . -benchtime 2000x ./core/peer
//
// Handshake reports the median per handshake ("median-µs"); Messages
// reports messages per second ("msgs/s"); IdleMemory reports bytes per
// connected, idle peer ("B/peer") with 1,000 connections.

// reportMedian records the median of d as median-µs.
func reportMedian(b *testing.B, d []time.Duration) {
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Nanoseconds())/1e3, "median-µs")
}

func BenchmarkHandshake(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	// The baseline: connect, then two round trips of version-sized and
	// verack-sized writes, as the handshake does, on bare connections.
	b.Run("baseline=raw-tcp-2rtt", func(b *testing.B) {
		go func() {
			buf := make([]byte, 128)
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					for _, n := range []int{HeaderSize + 40, HeaderSize} {
						if _, err := io.ReadFull(c, buf[:n]); err != nil {
							return
						}
						c.Write(buf[:n])
					}
					io.ReadFull(c, buf[:1])
				}()
			}
		}()
		times := make([]time.Duration, 0, b.N)
		buf := make([]byte, 128)
		for b.Loop() {
			start := time.Now()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			for _, n := range []int{HeaderSize + 40, HeaderSize} {
				c.Write(buf[:n])
				if _, err := io.ReadFull(c, buf[:n]); err != nil {
					b.Fatal(err)
				}
			}
			times = append(times, time.Since(start))
			c.Close()
		}
		reportMedian(b, times)
	})
	ln.Close()
	b.Run("peer", func(b *testing.B) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		cfg := testConfig()
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				wg.Go(func() {
					p, _ := New(c, true, cfg)
					if p.Handshake(context.Background(), testVersion(2), nil) == nil {
						p.Run(context.Background()) // until the dialer disconnects
					}
				})
			}
		})
		times := make([]time.Duration, 0, b.N)
		for b.Loop() {
			start := time.Now()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			p, _ := New(c, false, cfg)
			if err := p.Handshake(context.Background(), testVersion(1), nil); err != nil {
				b.Fatal(err)
			}
			times = append(times, time.Since(start))
			p.Disconnect()
		}
		reportMedian(b, times)
		ln.Close()
		wg.Wait()
	})
}

// BenchmarkMessages sends b.N 32-byte messages one way and waits until all
// have been received.
func BenchmarkMessages(b *testing.B) {
	payload := make([]byte, 32)
	b.Run("baseline=raw-framed-writes", func(b *testing.B) {
		d, a := tcpPair(b)
		cd, _, _ := testConfig().compile()
		frame := cd.appendFrame(nil, "chat", payload)
		done := make(chan struct{})
		go func() { // read and check the frames as the peer reader does
			defer close(done)
			r := bufio.NewReaderSize(a, readBufSize)
			var hdr [HeaderSize]byte
			var buf []byte
			for range b.N {
				if _, _, err := cd.readFrame(r, &hdr, &buf); err != nil {
					b.Error(err)
					return
				}
			}
		}()
		b.ResetTimer()
		w := bufio.NewWriterSize(d, flushAt)
		for range b.N {
			w.Write(frame)
		}
		w.Flush()
		<-done
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
	b.Run("peer", func(b *testing.B) {
		var got atomic.Int64
		done := make(chan struct{})
		n := int64(b.N)
		in := testConfig(func(c *Config) {
			c.OnMessage = func(*Peer, string, []byte) error {
				if got.Add(1) == n {
					close(done)
				}
				return nil
			}
		})
		po, pi := handshakePair(b, testConfig(func(c *Config) { c.QueueSize = 1024 }), in)
		running(b, context.Background(), po)
		running(b, context.Background(), pi)
		ctx := context.Background()
		b.ResetTimer()
		for range b.N {
			if err := po.Send(ctx, "chat", payload); err != nil {
				b.Fatal(err)
			}
		}
		<-done
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
}

// heapAndStacks is the memory that grows with connections: heap objects and
// goroutine stacks.
func heapAndStacks() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

const idlePeers = 1000

// BenchmarkIdleMemory holds 1,000 connected, idle connections (both ends in
// this process) and reports the memory per end.
func BenchmarkIdleMemory(b *testing.B) {
	b.Run("baseline=raw-conn+reader-goroutine", func(b *testing.B) {
		for b.Loop() {
			before := heapAndStacks()
			var conns []net.Conn
			var wg sync.WaitGroup
			for range idlePeers {
				d, a := tcpPair(b)
				conns = append(conns, d, a)
				for _, c := range []net.Conn{d, a} {
					wg.Go(func() { // the least a connection served by blocking I/O costs
						buf := make([]byte, 64)
						c.Read(buf)
					})
				}
			}
			after := heapAndStacks()
			b.ReportMetric(float64(after-before)/float64(len(conns)), "B/peer")
			for _, c := range conns {
				c.Close()
			}
			wg.Wait()
		}
	})
	b.Run("peer", func(b *testing.B) {
		for b.Loop() {
			before := heapAndStacks()
			var peers []*Peer
			var wg sync.WaitGroup
			cfg := testConfig()
			for range idlePeers {
				d, a := tcpPair(b)
				po, _ := New(d, false, cfg)
				pi, _ := New(a, true, cfg)
				errs := make(chan error, 1)
				go func() { errs <- pi.Handshake(context.Background(), testVersion(2), nil) }()
				if err := po.Handshake(context.Background(), testVersion(1), nil); err != nil {
					b.Fatal(err)
				}
				if err := <-errs; err != nil {
					b.Fatal(err)
				}
				for _, p := range []*Peer{po, pi} {
					peers = append(peers, p)
					wg.Go(func() { p.Run(context.Background()) })
				}
			}
			after := heapAndStacks()
			b.ReportMetric(float64(after-before)/float64(len(peers)), "B/peer")
			for _, p := range peers {
				p.Disconnect()
			}
			wg.Wait()
		}
	})
}
