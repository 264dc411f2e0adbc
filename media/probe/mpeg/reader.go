package mpeg

import (
	"errors"
	"fmt"
	"io"
)

// chunkSize is how much of the file one read fetches. Frames are walked in
// order, so the file is read in big sequential chunks.
const chunkSize = 128 << 10

// chunkReader serves small windows of a file from one reused buffer that it
// refills with big reads. Its memory is fixed: never more than chunkSize,
// whatever the file claims.
type chunkReader struct {
	r    io.ReaderAt
	size int64
	buf  []byte
	off  int64 // file offset of buf[0]
	n    int   // valid bytes in buf
}

func newChunkReader(r io.ReaderAt, size int64) *chunkReader {
	c := int64(chunkSize)
	if size < c {
		c = size
	}
	return &chunkReader{r: r, size: size, buf: make([]byte, c)}
}

// peek returns the bytes at [off, off+n), cut short at the end of the file.
// n must not exceed chunkSize. The slice is valid until the next call.
func (c *chunkReader) peek(off int64, n int) ([]byte, error) {
	if off < 0 || off >= c.size || n <= 0 {
		return nil, nil
	}
	if rest := c.size - off; int64(n) > rest {
		n = int(rest)
	}
	if off >= c.off && off+int64(n) <= c.off+int64(c.n) {
		s := off - c.off
		return c.buf[s : s+int64(n)], nil
	}
	want := len(c.buf)
	if rest := c.size - off; int64(want) > rest {
		want = int(rest)
	}
	got, err := c.r.ReadAt(c.buf[:want], off)
	if got < want {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		c.n = 0
		return nil, fmt.Errorf("read %d bytes at byte %d: %w", want, off, err)
	}
	c.off, c.n = off, want
	return c.buf[:n], nil
}
