package probe

import (
	"errors"
	"io"
	"os"
)

// BufferedReader buffers reads of an io.ReaderAt and still seeks, for decoders
// that read a few bytes at a time (go-mp3 reads each frame header, then the
// frame): unbuffered, each of those would be a system call. It reads the
// file with ReadAt only, so it sees a file truncated under it as an early
// end, and many BufferedReaders can share one *os.File.
type BufferedReader struct {
	r   io.ReaderAt
	pos int64  // the reader's position
	buf []byte // file bytes from at
	at  int64
}

// NewBufferedReader reads r through a 64 KiB buffer.
func NewBufferedReader(r io.ReaderAt) *BufferedReader {
	return &BufferedReader{r: r, buf: make([]byte, 0, 64<<10)}
}

// Read implements io.Reader.
func (b *BufferedReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.pos < b.at || b.pos >= b.at+int64(len(b.buf)) {
		if len(p) >= cap(b.buf) { // large reads skip the buffer
			n, err := b.r.ReadAt(p, b.pos)
			b.pos += int64(n)
			if err == io.EOF && n > 0 {
				err = nil
			}
			return n, err
		}
		n, err := b.r.ReadAt(b.buf[:cap(b.buf)], b.pos)
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

// Seek implements io.Seeker.
func (b *BufferedReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += b.pos
	case io.SeekEnd:
		// The decoders seek from the end only to find their length;
		// a file's size can change under us, so ask each time.
		size, err := sizeOf(b.r)
		if err != nil {
			return 0, err
		}
		offset += size
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
func (b *BufferedReader) ReadAt(p []byte, off int64) (int, error) { return b.r.ReadAt(p, off) }

// Close does nothing: whoever opened the file owns it, and every beep
// decoder closes what it reads when it is closed.
func (b *BufferedReader) Close() error { return nil }

// sizeOf is the current size of r, if r can say.
func sizeOf(r io.ReaderAt) (int64, error) {
	if s, ok := r.(interface{ Size() int64 }); ok {
		return s.Size(), nil
	}
	if f, ok := r.(interface{ Stat() (os.FileInfo, error) }); ok {
		fi, err := f.Stat()
		if err != nil {
			return 0, err
		}
		return fi.Size(), nil
	}
	return 0, errors.New("seek from end: unknown size")
}
