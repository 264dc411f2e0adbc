package stream

// MPEG audio Layer III frame headers, just enough to find where frames start
// in LAME's output so that a new listener starts on a frame boundary.

// frameLen returns the length in bytes of the Layer III frame whose 4-byte
// header is h, or 0 if h is not a valid Layer III header.
func frameLen(h [4]byte) int {
	if h[0] != 0xFF || h[1]&0xE0 != 0xE0 {
		return 0
	}
	version := (h[1] >> 3) & 3 // 0: MPEG 2.5, 1: reserved, 2: MPEG 2, 3: MPEG 1
	layer := (h[1] >> 1) & 3   // 1: Layer III
	if version == 1 || layer != 1 {
		return 0
	}
	bi := h[2] >> 4
	si := (h[2] >> 2) & 3
	if bi == 0 || bi == 15 || si == 3 {
		return 0
	}
	pad := int(h[2]>>1) & 1
	var kbps, hz int
	if version == 3 {
		kbps = [...]int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}[bi]
		hz = [...]int{44100, 48000, 32000}[si]
		return 144*kbps*1000/hz + pad
	}
	kbps = [...]int{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}[bi]
	hz = [...]int{22050, 24000, 16000}[si]
	if version == 0 {
		hz /= 2
	}
	return 72*kbps*1000/hz + pad
}

// frameTracker follows the frame structure of an MP3 byte stream that arrives
// in arbitrary pieces and records the absolute offset of every frame start.
type frameTracker struct {
	pos  int64   // absolute offset of the next byte to scan
	skip int     // bytes left in the current frame after its header
	hdr  [4]byte // header bytes collected so far
	hdrN int
	at   int64 // absolute offset where the header being collected starts
}

// scan consumes p and appends the offsets of frame headers that are complete
// within the stream so far to starts. Bytes that do not parse (never seen
// from LAME) are skipped one at a time until a header parses again.
func (f *frameTracker) scan(p []byte, starts *offsetRing) {
	for i := 0; i < len(p); {
		if f.skip > 0 {
			n := min(f.skip, len(p)-i)
			f.skip -= n
			i += n
			f.pos += int64(n)
			continue
		}
		if f.hdrN == 0 {
			f.at = f.pos
		}
		f.hdr[f.hdrN] = p[i]
		f.hdrN++
		i++
		f.pos++
		if f.hdrN < 4 {
			continue
		}
		n := frameLen(f.hdr)
		if n < 4 {
			// Lost sync: slide the window by one byte.
			copy(f.hdr[:], f.hdr[1:])
			f.hdrN = 3
			f.at++
			continue
		}
		starts.push(f.at)
		f.hdrN = 0
		f.skip = n - 4
	}
}

// offsetRing keeps the most recent frame start offsets, oldest first.
type offsetRing struct {
	buf   []int64
	first int // index of the oldest entry
	n     int
}

func (r *offsetRing) push(v int64) {
	if r.n < len(r.buf) {
		r.buf[(r.first+r.n)%len(r.buf)] = v
		r.n++
		return
	}
	r.buf[r.first] = v
	r.first = (r.first + 1) % len(r.buf)
}

// at returns the i-th oldest entry.
func (r *offsetRing) at(i int) int64 { return r.buf[(r.first+i)%len(r.buf)] }
