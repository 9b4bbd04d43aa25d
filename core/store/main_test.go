package store_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain runs the tests, or, when TestFilesystemPersisterCrash started
// this binary as its writer child (crashDirEnv set), the writer alone: the
// child's role is never a test that could pass by doing nothing.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		os.Exit(crashWriter(dir))
	}
	goleak.VerifyTestMain(m)
}
