// Package readme checks that every Go code block in the repository's
// README.md is a complete program that is gofmt-formatted, passes go vet and
// runs to a successful end, as written: each block is copied into a module of
// its own that points at this repository with a replace directive.
package readme

import (
	"bytes"
	"context"
	"fmt"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// block is one ```go block of README.md.
type block struct {
	line int // of the opening fence, 1-based
	code string
}

func goBlocks(readme string) []block {
	var out []block
	var cur *block
	var b strings.Builder
	for i, l := range strings.Split(readme, "\n") {
		switch {
		case cur == nil && strings.TrimSpace(l) == "```go":
			cur = &block{line: i + 1}
			b.Reset()
		case cur != nil && strings.TrimSpace(l) == "```":
			cur.code = b.String()
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return out
}

func TestGoBlocksInREADMECompileAndRun(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	goTool, err := exec.LookPath("go")
	require.NoError(t, err, "the go command runs the blocks")

	blocks := goBlocks(string(readme))
	require.NotEmpty(t, blocks, "README.md has Go blocks")
	for _, bl := range blocks {
		t.Run(fmt.Sprintf("line%d", bl.line), func(t *testing.T) {
			require.True(t, strings.HasPrefix(bl.code, "package main\n"),
				"README.md:%d: a Go block is a whole program, starting with package main", bl.line)
			formatted, err := format.Source([]byte(bl.code))
			require.NoError(t, err, "README.md:%d does not parse", bl.line)
			require.Equal(t, string(formatted), bl.code, "README.md:%d is not gofmt-formatted", bl.line)

			dir := t.TempDir()
			mod := "module readmeblock\n\ngo 1.26.0\n\nrequire nodekit.dev/nodekit v0.0.0\n\nreplace nodekit.dev/nodekit => " + root + "\n"
			require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o600))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o600))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(bl.code), 0o600))
			for _, args := range [][]string{{"vet", "."}, {"run", "."}} {
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
				cmd := exec.CommandContext(ctx, goTool, args...)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				err := cmd.Run()
				cancel()
				require.NoError(t, err, "README.md:%d: go %s:\n%s", bl.line, strings.Join(args, " "), out.String())
			}
		})
	}
}
