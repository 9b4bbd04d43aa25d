package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

// A Func is a worker function: it runs inside a worker process, receives the
// caller's input and returns the output sent back to it. ctx is cancelled
// when the caller's context is; a Func that ignores it past
// Config.CancelGrace gets its worker killed. A returned error reaches the
// caller as a *TaskError carrying its text; a panic as a *TaskError with the
// stack, and the worker lives on.
type Func func(ctx context.Context, in []byte) ([]byte, error)

var registry = struct {
	sync.RWMutex
	funcs map[string]Func
}{funcs: map[string]Func{}}

// maxNameLen bounds a task name.
const maxNameLen = 255

// Register makes fn callable under name in every worker started from this
// executable. Register from an init function or before Main is called:
// a worker learns its tasks when it starts. It panics on an empty, too long
// (over 255 bytes) or duplicate name, as registering twice is a programming
// error.
func Register(name string, fn Func) {
	if name == "" || len(name) > maxNameLen {
		panic(fmt.Sprintf("worker: Register: task name must be 1 to %d bytes, got %d", maxNameLen, len(name)))
	}
	if fn == nil {
		panic("worker: Register: nil Func for " + name)
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.funcs[name]; dup {
		panic("worker: Register: duplicate task " + name)
	}
	registry.funcs[name] = fn
}

func lookup(name string) Func {
	registry.RLock()
	defer registry.RUnlock()
	return registry.funcs[name]
}

// taskNames returns the registered names, sorted.
func taskNames() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.funcs))
	for n := range registry.funcs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// A Codec turns values into bytes and back, for Task.
type Codec interface {
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte, v any) error
}

// JSON is the Codec of encoding/json.
var JSON Codec = jsonCodec{}

type jsonCodec struct{}

func (jsonCodec) Marshal(v any) ([]byte, error)      { return json.Marshal(v) }
func (jsonCodec) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// A Caller runs a task by name: *Worker and *Pool.
type Caller interface {
	Call(ctx context.Context, task string, in []byte, opts ...CallOption) ([]byte, error)
}

// Task is a typed task: its input and output travel through Codec. Declare it
// once, as a package variable shared by the code that registers it (in the
// worker) and the code that calls it (in the parent):
//
//	var Resize = worker.Task[ResizeIn, ResizeOut]{Name: "resize", Codec: worker.JSON}
//	func init() { Resize.Register(resize) }
//	out, err := Resize.Call(ctx, pool, ResizeIn{...})
type Task[In, Out any] struct {
	Name  string
	Codec Codec // nil: JSON
}

func (t Task[In, Out]) codec() Codec {
	if t.Codec == nil {
		return JSON
	}
	return t.Codec
}

// Register registers fn under t.Name (see Register). An input the codec
// cannot decode fails the task with the codec's error.
func (t Task[In, Out]) Register(fn func(ctx context.Context, in In) (Out, error)) {
	c := t.codec()
	Register(t.Name, func(ctx context.Context, data []byte) ([]byte, error) {
		var in In
		if err := c.Unmarshal(data, &in); err != nil {
			return nil, fmt.Errorf("decode input: %w", err)
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		return c.Marshal(out)
	})
}

// Call encodes in, runs the task on c and decodes its output.
func (t Task[In, Out]) Call(ctx context.Context, c Caller, in In, opts ...CallOption) (Out, error) {
	var out Out
	data, err := t.codec().Marshal(in)
	if err != nil {
		return out, fmt.Errorf("worker: encode input of %q: %w", t.Name, err)
	}
	res, err := c.Call(ctx, t.Name, data, opts...)
	if err != nil {
		return out, err
	}
	if err := t.codec().Unmarshal(res, &out); err != nil {
		return out, fmt.Errorf("worker: decode output of %q: %w", t.Name, err)
	}
	return out, nil
}

// Progress sends update to the caller of the task whose ctx this is (see
// OnProgress). Updates are delivered in order; when the caller is slower
// than the task, older undelivered updates are dropped and the latest one is
// kept, so Progress never blocks on the caller. Outside a task it returns
// ErrNotInTask.
func Progress(ctx context.Context, update []byte) error {
	tc, ok := ctx.Value(taskKey{}).(*taskCtx)
	if !ok {
		return ErrNotInTask
	}
	if len(update) > tc.limit {
		return &PayloadError{Task: tc.name, Output: true, Size: len(update), Limit: tc.limit}
	}
	return tc.conn.write(frameProgress, tc.id, update)
}

type taskKey struct{}

// taskCtx is what Progress finds in a task's context.
type taskCtx struct {
	conn  *conn
	id    uint64
	name  string
	limit int
}
