package processor_test

import (
	"nodekit.dev/nodekit/core/processor"
	"nodekit.dev/nodekit/core/store"
)

// The file-system persister of core/store is a processor Persister.
var _ processor.Persister = (*store.FilesystemPersister)(nil)
