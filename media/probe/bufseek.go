package probe

import (
	"errors"
	"io"
)

// bufSeeker buffers reads of an io.ReaderAt and still seeks, for decoders
// that read a few bytes at a time (go-mp3 reads each frame header, then the
// frame) — unbuffered, every one of those is a system call.
type bufSeeker struct {
	r    io.ReaderAt
	size int64
	pos  int64  // the reader's position
	buf  []byte // file bytes from bufAt
	at   int64
}

func newBufSeeker(r io.ReaderAt, size int64) *bufSeeker {
	return &bufSeeker{r: r, size: size, buf: make([]byte, 0, 64<<10)}
}

func (b *bufSeeker) Read(p []byte) (int, error) {
	if b.pos >= b.size {
		return 0, io.EOF
	}
	if b.pos < b.at || b.pos >= b.at+int64(len(b.buf)) {
		if len(p) >= cap(b.buf) { // large reads skip the buffer
			n, err := b.r.ReadAt(p[:min(int64(len(p)), b.size-b.pos)], b.pos)
			b.pos += int64(n)
			if err == io.EOF && n > 0 {
				err = nil
			}
			return n, err
		}
		n, err := b.r.ReadAt(b.buf[:min(int64(cap(b.buf)), b.size-b.pos)], b.pos)
		if n == 0 {
			if err == nil {
				err = io.ErrNoProgress
			}
			return 0, err
		}
		b.buf, b.at = b.buf[:n], b.pos
	}
	n := copy(p, b.buf[b.pos-b.at:])
	b.pos += int64(n)
	return n, nil
}

func (b *bufSeeker) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += b.pos
	case io.SeekEnd:
		offset += b.size
	default:
		return 0, errors.New("seek: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("seek: negative position")
	}
	b.pos = offset
	return offset, nil
}

// ReadAt passes through: the format parsers read in large chunks themselves.
func (b *bufSeeker) ReadAt(p []byte, off int64) (int, error) { return b.r.ReadAt(p, off) }
