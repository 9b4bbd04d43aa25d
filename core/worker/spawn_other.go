//go:build !unix

package worker

// spawn is not available: only Config.InProcess works here.
func (w *Worker) spawn() error { return ErrNotSupported }
