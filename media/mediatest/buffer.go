package mediatest

import (
	"errors"
	"io"
)

// Buffer is an in-memory io.WriteSeeker, for encoders that seek back to
// finish a header (a WAV encoder's sizes, a FLAC encoder's STREAMINFO).
// The zero value is an empty buffer ready to use.
type Buffer struct {
	b   []byte
	pos int
}

// Bytes returns the buffer's contents; they alias the buffer.
func (m *Buffer) Bytes() []byte { return m.b }

// Write writes p at the current position, growing the buffer as needed.
func (m *Buffer) Write(p []byte) (int, error) {
	if need := m.pos + len(p); need > len(m.b) {
		m.b = append(m.b, make([]byte, need-len(m.b))...)
	}
	copy(m.b[m.pos:], p)
	m.pos += len(p)
	return len(p), nil
}

// Seek sets the position for the next Write; a position past the end
// leaves a gap of zeros once written.
func (m *Buffer) Seek(off int64, whence int) (int64, error) {
	pos := int64(m.pos)
	switch whence {
	case io.SeekStart:
		pos = off
	case io.SeekCurrent:
		pos += off
	case io.SeekEnd:
		pos = int64(len(m.b)) + off
	default:
		return 0, errors.New("mediatest.Buffer: invalid whence")
	}
	if pos < 0 {
		return 0, errors.New("mediatest.Buffer: negative position")
	}
	m.pos = int(pos)
	return pos, nil
}
