package stream

// byteRing is a fixed-capacity FIFO of bytes. It never allocates after
// creation. It is not safe for concurrent use.
type byteRing struct {
	buf  []byte
	head int // index of the oldest byte
	n    int // bytes held
}

func newByteRing(size int) byteRing { return byteRing{buf: make([]byte, size)} }

// free returns how many bytes can be written without overwriting.
func (r *byteRing) free() int { return len(r.buf) - r.n }

// write appends p, discarding the oldest bytes if p does not fit.
func (r *byteRing) write(p []byte) {
	if len(p) >= len(r.buf) {
		copy(r.buf, p[len(p)-len(r.buf):])
		r.head, r.n = 0, len(r.buf)
		return
	}
	if over := len(p) - r.free(); over > 0 {
		r.head = (r.head + over) % len(r.buf)
		r.n -= over
	}
	tail := (r.head + r.n) % len(r.buf)
	c := copy(r.buf[tail:], p)
	copy(r.buf, p[c:])
	r.n += len(p)
}

// read moves up to len(p) of the oldest bytes into p and returns the count.
func (r *byteRing) read(p []byte) int {
	n := r.peek(p, r.n)
	r.head = (r.head + n) % len(r.buf)
	r.n -= n
	return n
}

// peek copies up to len(p) bytes starting back bytes before the newest byte
// into p, without consuming them, and returns the count.
func (r *byteRing) peek(p []byte, back int) int {
	back = min(back, r.n)
	start := (r.head + r.n - back) % len(r.buf)
	n := min(len(p), back)
	c := copy(p[:n], r.buf[start:])
	copy(p[c:n], r.buf)
	return n
}
