package output

import (
	"fmt"
	"sync/atomic"
)

// Null discards the mix and counts the frames it was given. It is not paced.
// The zero value is ready to use.
type Null struct {
	frames atomic.Int64
	closed atomic.Bool
}

// Write counts block's frames; after Close it returns ErrClosed.
func (n *Null) Write(block [][2]float64) error {
	if n.closed.Load() {
		return fmt.Errorf("null: write: %w", ErrClosed)
	}
	n.frames.Add(int64(len(block)))
	return nil
}

// Paced reports false.
func (n *Null) Paced() bool { return false }

// Frames is the number of frames written; it may be called from any
// goroutine.
func (n *Null) Frames() int64 { return n.frames.Load() }

// Close marks the sink closed. It is idempotent.
func (n *Null) Close() error {
	n.closed.Store(true)
	return nil
}
