// Command dchat is a terminal chat on a nodekit p2p node: every line typed
// is broadcast (gossiped through the network), every line received is
// printed as "[nick] text".
//
//	go run ./examples/dchat --listen tcp://127.0.0.1:7001 --nick alice
//	go run ./examples/dchat --listen tcp://127.0.0.1:7002 --peer tcp://127.0.0.1:7001 --nick bob
//	go run ./examples/dchat --seed tcp://127.0.0.1:7001 --nick carol
//
// Ctrl-C or end of input (Ctrl-D) stops the node.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"nodekit.dev/nodekit/core/p2p"
)

// maxLine is the longest chat line (nick included) a node accepts.
const maxLine = 1024

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

// config is what the flags set.
type config struct {
	listen, nick string
	peers, seeds list
	slots        int
	verbose      bool
}

func main() {
	var cfg config
	flag.StringVar(&cfg.listen, "listen", "tcp://127.0.0.1:0", "address to accept peers on (empty: none)")
	flag.Var(&cfg.peers, "peer", "manual peer to stay connected to (repeatable)")
	flag.Var(&cfg.seeds, "seed", "seed to ask for addresses (repeatable)")
	flag.StringVar(&cfg.nick, "nick", "anon", "nickname")
	flag.IntVar(&cfg.slots, "slots", 4, "outbound slots filled from the address book")
	flag.BoolVar(&cfg.verbose, "v", false, "log the node's debug messages")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := newChat(cfg, os.Stdout)
	if err == nil {
		err = c.start()
	}
	if err == nil {
		err = c.loop(ctx, os.Stdin)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dchat:", err)
		os.Exit(1)
	}
}

// chat is one dchat node: its p2p node and where it prints.
type chat struct {
	node *p2p.Node
	nick string
	mu   sync.Mutex // serialises lines on out
	out  io.Writer
}

func newChat(cfg config, out io.Writer) (*chat, error) {
	if cfg.nick == "" || len(cfg.nick) > 64 || strings.ContainsAny(cfg.nick, "\n\x00") {
		return nil, errors.New("--nick must be 1..64 bytes on one line")
	}
	level := slog.LevelWarn
	if cfg.verbose {
		level = slog.LevelDebug
	}
	s := p2p.Settings{
		Peers: cfg.peers, Seeds: cfg.seeds, OutboundSlots: cfg.slots,
		Magic: []byte("chat"), AppName: "dchat", AppVersion: "1.0.0", UserAgent: "dchat/" + cfg.nick,
		MaxPerIP: -1, // a chat on one machine: every peer is 127.0.0.1
		Logger:   slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	}
	if cfg.listen != "" {
		s.Listen = []string{cfg.listen}
	}
	if len(cfg.peers) > 0 && cfg.slots == 0 {
		s.OutboundSlots = 0
	}
	n, err := p2p.New(s)
	if err != nil {
		return nil, err
	}
	c := &chat{node: n, nick: cfg.nick, out: out}
	err = n.Register(p2p.Protocol{Command: "chat", MaxSize: maxLine, Rate: 20, Burst: 40, Relay: true, Handler: c.receive})
	return c, err
}

// receive prints a chat message: a one-byte nick length, the nick, the text.
func (c *chat) receive(m p2p.Message) error {
	p := m.Payload
	if len(p) < 1 || len(p) < 1+int(p[0]) {
		return errors.New("malformed chat message")
	}
	c.print(string(p[1:1+int(p[0])]), string(p[1+int(p[0]):]))
	return nil
}

func (c *chat) print(nick, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.out, "[%s] %s\n", nick, text)
}

// say broadcasts one line and prints it as the others will.
func (c *chat) say(text string) error {
	msg := append([]byte{byte(len(c.nick))}, c.nick...)
	msg = append(msg, text...)
	if len(msg) > maxLine {
		return fmt.Errorf("line longer than %d bytes", maxLine-1-len(c.nick))
	}
	if _, err := c.node.Broadcast("chat", msg); err != nil {
		return err
	}
	c.print(c.nick, text)
	return nil
}

// start starts the node.
func (c *chat) start() error {
	if err := c.node.Start(); err != nil {
		return err
	}
	if a := c.node.Addrs(); len(a) > 0 {
		fmt.Fprintln(os.Stderr, "dchat: listening on", strings.Join(a, ", "))
	}
	return nil
}

// loop broadcasts every line of in until it ends or ctx is cancelled, then
// stops the node.
func (c *chat) loop(ctx context.Context, in io.Reader) error {
	lines := make(chan string)
	go func() { // ends with in (Ctrl-D, or a closed pipe)
		defer close(lines)
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return c.node.Stop()
		case line, ok := <-lines:
			if !ok {
				return c.node.Stop()
			}
			if line = strings.TrimSpace(line); line == "" {
				continue
			}
			if err := c.say(line); err != nil {
				fmt.Fprintln(os.Stderr, "dchat:", err)
			}
		}
	}
}
