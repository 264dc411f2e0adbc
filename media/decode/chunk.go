package decode

// chunk is a native decoder's buffer of decoded frames (interleaved stereo
// float32), which Stream serves between refills. The refills are few and
// large on purpose: every call into C goes through the runtime's cgo path,
// and a goroutine returning from one may wait for a P when every P is busy.
type chunk struct {
	buf   []float32
	off   int   // the next frame of buf Stream returns
	have  int   // frames in buf
	pos   int64 // frames returned so far (the track position)
	ended bool  // the decoder reached the end of the stream
	err   error // the decoder failed
}

// refiller decodes the next chunk into its chunk, setting ended or err when
// it cannot. An interface rather than a func value, so serving allocates
// nothing.
type refiller interface{ fill() }

// serve returns up to len(samples) frames from the chunk, refilling it from
// r when it has been read. With nothing decoded it reports the end or an
// error as drained, or, with neither, a stall (source counts those).
func (c *chunk) serve(samples [][2]float64, r refiller) (int, bool) {
	if c.off == c.have {
		if c.err != nil || c.ended {
			return 0, false
		}
		r.fill()
		if c.off == c.have {
			return 0, c.err == nil && !c.ended
		}
	}
	n := min(len(samples), c.have-c.off)
	b := c.buf[2*c.off : 2*(c.off+n)]
	for i := range n {
		samples[i] = [2]float64{float64(b[2*i]), float64(b[2*i+1])}
	}
	c.off += n
	c.pos += int64(n)
	return n, true
}
