package decode

import "math"

// resampler converts a source's rate by Lagrange interpolation over 2·q
// neighbouring samples: the same polynomial beep.Resample evaluates (so the
// issue's measurements of beep's quality settings hold), with three
// differences that matter for playback. Output k lies exactly at source
// position k·m/l (integers, so there is no drift); the weights are computed
// once per output frame in O(q), shared by both channels, instead of beep's
// O(q²) per channel; and the signal is taken as silent before its start and
// after its end, where beep shortens the window (and, when the source ends
// within q frames of a 512-frame buffer boundary, emits stale samples).
// Seeking restarts it exactly where a continuous run would be.
type resampler struct {
	src  *source
	m, l int64 // output k is at source position k·m/l
	q    int   // half the window: points i-(q-1) … i+q around position i+frac

	k        int64        // next output frame
	buf      [][2]float64 // source frames [bufStart, bufStart+len(buf)) once full
	bufStart int64
	bufLen   int
	ended    bool  // the source has ended; frames from inEnd on are silence
	inEnd    int64 // source frames available, once ended

	invDen []float64 // 1/∏_{m≠j}(j−m)
	w      []float64 // this output's weights
}

func newResampler(src *source, from, to, q int) *resampler {
	g := gcd(from, to)
	r := &resampler{
		src: src, m: int64(from / g), l: int64(to / g), q: q,
		buf:    make([][2]float64, 2048+2*q),
		invDen: make([]float64, 2*q),
		w:      make([]float64, 2*q),
	}
	for j := range r.invDen {
		d := 1.0
		for m := range r.invDen {
			if m != j {
				d *= float64(j - m)
			}
		}
		r.invDen[j] = 1 / d
	}
	r.reset(0, 0)
	return r
}

// outLen is how many frames n source frames resample to: those whose
// position k·m/l falls before n.
func (r *resampler) outLen(n int64) int64 { return (n*r.l + r.m - 1) / r.m }

// start is the source frame output k's window starts at.
func (r *resampler) start(k int64) int64 { return k*r.m/r.l - int64(r.q-1) }

// reset makes output k next; the source must be at max(start(k), 0).
func (r *resampler) reset(k, srcPos int64) {
	r.k, r.ended, r.inEnd = k, false, math.MaxInt64
	r.bufStart, r.bufLen = srcPos, 0
	if srcPos == 0 { // silence before the first frame
		r.bufStart, r.bufLen = -int64(r.q), r.q
		clear(r.buf[:r.q])
	}
}

// stream fills out and returns how many frames it wrote; fewer means the
// source ended.
func (r *resampler) stream(out [][2]float64) int {
	n2 := 2 * r.q
	for i := range out {
		num := r.k * r.m
		pos := num / r.l
		if pos >= r.inEnd {
			return i
		}
		ws := pos - int64(r.q-1)
		if ws+int64(n2) > r.bufStart+int64(r.bufLen) {
			r.fill(ws)
			if pos >= r.inEnd {
				return i
			}
		}
		// Lagrange weights at t = (q-1) + frac within the window:
		// w_j = ∏_{m≠j}(t−m) / ∏_{m≠j}(j−m), from prefix and suffix products.
		t := float64(r.q-1) + float64(num%r.l)/float64(r.l)
		w := r.w[:n2]
		p := 1.0
		for j := range w {
			w[j] = p
			p *= t - float64(j)
		}
		s := 1.0
		for j := n2 - 1; j >= 0; j-- {
			w[j] *= s * r.invDen[j]
			s *= t - float64(j)
		}
		win := r.buf[ws-r.bufStart:][:n2]
		var a, b float64
		for j, x := range win {
			a += w[j] * x[0]
			b += w[j] * x[1]
		}
		out[i] = [2]float64{a, b}
		r.k++
	}
	return len(out)
}

// fill moves the frames from ws on to the front of the buffer and reads
// after them, silence once the source has ended.
func (r *resampler) fill(ws int64) {
	if d := ws - r.bufStart; d > 0 {
		r.bufLen = copy(r.buf, r.buf[min(d, int64(r.bufLen)):r.bufLen])
		r.bufStart = ws
	}
	rest := r.buf[r.bufLen:]
	n := 0
	if !r.ended {
		n = r.src.read(rest)
		if n < len(rest) {
			r.ended, r.inEnd = true, r.bufStart+int64(r.bufLen+n)
		}
	}
	clear(rest[n:])
	r.bufLen = len(r.buf)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
