package nodekit

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// collected fails the test unless gone is closed (by collectedSignal) within
// waitTimeout of Go GCs.
func collected(t *testing.T, what string, gone <-chan struct{}) {
	t.Helper()
	if !gcUntil(gone) {
		t.Fatalf("%s is still reachable from the ended handle", what)
	}
}

func TestEndedGroupLetsGoOfServicesAndObservers(t *testing.T) {
	g := NewGroup()
	svc, obs := &hooks{name: "a", log: newCalls()}, eventLog{newCalls()}
	wsvc, wobs := collectedSignal(svc), collectedSignal(obs.c)
	g.Observe(0, obs)
	require.NoError(t, g.Add("a", svc))
	svc, obs = nil, eventLog{}
	require.True(t, g.Start().IsOk())
	require.True(t, g.Stop().IsOk())

	collected(t, "the Java service", wsvc)
	collected(t, "the observer", wobs)
	// The handle still answers, from what it kept.
	assert.Equal(t, StateStopped, g.State())
	assert.Equal(t, StateStopped, serviceState(t, g, "a"))
	_, err := g.ServiceState("b")
	assert.Error(t, err)
	assert.True(t, g.Join().IsOk())
	assert.Equal(t, KindIllegalState, g.Start().Kind())
	require.Error(t, g.Add("b", nil))
	require.Error(t, g.FailService("a", "late"))
	runtime.KeepAlive(g)
}

func TestGroupThatFailsByItselfLetsGo(t *testing.T) {
	g := NewGroup()
	c := newCalls()
	svc := &hooks{name: "a", log: c}
	wsvc := collectedSignal(svc)
	require.NoError(t, g.Add("a", svc))
	svc = nil
	require.True(t, g.Start().IsOk())
	require.NoError(t, g.FailService("a", "lost"))
	// Nobody calls stop() or join(): the group ends by itself and still lets go.
	collected(t, "the Java service", wsvc)
	assert.Equal(t, KindFailed, g.Join().Kind())
	assert.Contains(t, g.Stop().Message(), "lost")
	assert.Same(t, g.Join(), g.Stop(), "an ended group's outcome is one object, not a new one per call")
	runtime.KeepAlive(g)
}

func TestEndedProcessorLetsGoOfItsJavaObjects(t *testing.T) {
	handler, store := &recorder{}, newMemStore()
	wh, ws := collectedSignal(handler), collectedSignal(store)
	p, err := StartProcessor(nil, store, handler, nil)
	require.NoError(t, err)
	handler, store = nil, nil
	require.NoError(t, p.Submit([]byte("e")))
	require.NoError(t, p.UpdateState([]byte("s")))
	require.True(t, p.Stop().IsOk())

	collected(t, "the Java handler", wh)
	collected(t, "the Java persister", ws)
	assert.Equal(t, StateStopped, p.State())
	assert.Equal(t, int64(1), p.Counters().EventsHandled, "counters survive the release")
	assert.GreaterOrEqual(t, p.Counters().Persists, int64(1))
	require.Error(t, p.Submit([]byte("late")))
	require.Error(t, p.UpdateState([]byte("late")))
	assert.True(t, p.Join().IsOk())
	runtime.KeepAlive(p)
}

func TestOkResultIsOneSharedObject(t *testing.T) {
	g := NewGroup()
	require.NoError(t, g.Add("a", nil))
	started := g.Start()
	require.True(t, started.IsOk())
	assert.Same(t, started, g.Stop(), "a successful call hands Java no new Go object")
	assert.Same(t, started, g.Join())
	assert.Equal(t, "ok", started.String())
}

// recorder is an EventHandler counting what it got.
type recorder struct{ n int }

func (r *recorder) HandleEvent([]byte) error { r.n++; return nil }

// javaRef is shaped like gobind's reference to a Java object: 4 bytes, no
// pointers, and a finalizer that tells Java to let the object go.
type javaRef struct{ num int32 }

type refService struct{ ref *javaRef }

func (refService) Start() error { return nil }
func (refService) Stop() error  { return nil }

func TestEndedGroupsKeepNoJavaReferencePinned(t *testing.T) {
	const groups, perGroup = 300, 3
	// Tiny objects share 16-byte blocks: one allocated next to an unrelated
	// live tiny object stays, so a handful may remain; a pinned service
	// name per group would keep nearly all of them.
	const enough = groups * perGroup * 95 / 100
	var finalized atomic.Int64
	enoughFinalized := make(chan struct{})
	kept := make([]*Group, 0, groups) // as Java would, before it collects the proxies
	events := &keptEvents{}
	for i := 0; i < groups; i++ {
		g := NewGroup()
		g.Observe(0, events)
		for j := 0; j < perGroup; j++ {
			ref := &javaRef{int32(j)}
			runtime.SetFinalizer(ref, func(*javaRef) {
				if finalized.Add(1) == enough {
					close(enoughFinalized)
				}
			})
			require.NoError(t, g.Add(fmt.Sprint("s", j), refService{ref}))
		}
		require.True(t, g.Start().IsOk())
		require.True(t, g.Stop().IsOk())
		kept = append(kept, g)
	}
	assert.True(t, gcUntil(enoughFinalized), "Java references still pinned by ended groups: %d of %d finalized",
		finalized.Load(), groups*perGroup)
	runtime.KeepAlive(kept)
	runtime.KeepAlive(events)
}

// keptEvents keeps every service name it receives, as a Java observer may.
type keptEvents struct {
	mu  sync.Mutex
	all []string
}

func (k *keptEvents) OnEvent(service string, _, _ int, _ int64, _ string, _ int, _ int64) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.all = append(k.all, service)
	return nil
}
