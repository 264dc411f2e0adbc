package decode

import "math"

// maxPhases is the most distinct output phases (l, the reduced output rate)
// for which a resampler precomputes its weights: every rate that occurs in
// practice (8–192 kHz to 44.1 or 48 kHz: at most 640 phases, 80 KiB at
// Quality 8) is within it. Odd ratios compute the weights per output frame.
const maxPhases = 1024

// resampler converts a source's rate by Lagrange interpolation over 2·q
// neighbouring samples: the same polynomial beep.Resample evaluates (so the
// issue's measurements of beep's quality settings hold), with three
// differences that matter for playback. Output k lies exactly at source
// position k·m/l (integers, so there is no drift); the weights depend only on
// the phase k·m mod l, so for the rational ratios that occur they are
// computed once per phase when the resampler is made and each output frame
// is a plain dot product (odd ratios with more than maxPhases phases compute
// them per frame in O(q), shared by both channels, instead of beep's O(q²)
// per channel); and the signal is taken as silent before its start and after
// its end, where beep shortens the window (and, when the source ends within q
// frames of a 512-frame buffer boundary, emits stale samples). Seeking
// restarts it exactly where a continuous run would be.
type resampler struct {
	src  *source
	m, l int64 // output k is at source position k·m/l
	q    int   // half the window: points i-(q-1) … i+q around position i+frac

	// The next output frame, k, lies at source position pos + phase/l:
	// pos = k·m / l and phase = k·m mod l.
	pos, phase int64
	// Per output frame, pos advances by dpos and phase by dphase (carrying
	// into pos), so the hot loop does no division.
	dpos, dphase int64

	buf      [][2]float64 // source frames [bufStart, bufStart+len(buf)) once full
	bufStart int64
	bufLen   int
	ended    bool  // the source has ended; frames from inEnd on are silence
	inEnd    int64 // source frames available, once ended

	// table holds the 2q weights of each phase, phase after phase; nil when
	// there are more than maxPhases phases.
	table  []float64
	invDen []float64 // 1/∏_{m≠j}(j−m)
	w      []float64 // this output's weights, without a table
}

func newResampler(src *source, from, to, q int) *resampler {
	g := gcd(from, to)
	r := &resampler{
		src: src, m: int64(from / g), l: int64(to / g), q: q,
		buf:    make([][2]float64, 2048+2*q),
		invDen: make([]float64, 2*q),
		w:      make([]float64, 2*q),
	}
	r.dpos, r.dphase = r.m/r.l, r.m%r.l
	for j := range r.invDen {
		d := 1.0
		for m := range r.invDen {
			if m != j {
				d *= float64(j - m)
			}
		}
		r.invDen[j] = 1 / d
	}
	if r.l <= maxPhases {
		n2 := 2 * q
		r.table = make([]float64, int(r.l)*n2)
		for p := range int(r.l) {
			r.weights(int64(p), r.table[p*n2:(p+1)*n2])
		}
	}
	r.reset(0, 0)
	return r
}

// weights writes the Lagrange weights of phase p into w (2q long): at
// t = (q-1) + p/l within the window, w_j = ∏_{m≠j}(t−m) / ∏_{m≠j}(j−m), from
// prefix and suffix products.
func (r *resampler) weights(p int64, w []float64) {
	t := float64(r.q-1) + float64(p)/float64(r.l)
	acc := 1.0
	for j := range w {
		w[j] = acc
		acc *= t - float64(j)
	}
	s := 1.0
	for j := len(w) - 1; j >= 0; j-- {
		w[j] *= s * r.invDen[j]
		s *= t - float64(j)
	}
}

// outLen is how many frames n source frames resample to: those whose
// position k·m/l falls before n.
func (r *resampler) outLen(n int64) int64 { return (n*r.l + r.m - 1) / r.m }

// start is the source frame output k's window starts at.
func (r *resampler) start(k int64) int64 { return k*r.m/r.l - int64(r.q-1) }

// reset makes output k next; the source must be at max(start(k), 0).
func (r *resampler) reset(k, srcPos int64) {
	r.ended, r.inEnd = false, math.MaxInt64
	r.pos, r.phase = k*r.m/r.l, k*r.m%r.l
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
	q1 := int64(r.q - 1)
	for i := range out {
		pos := r.pos
		if pos >= r.inEnd {
			return i
		}
		ws := pos - q1
		if ws+int64(n2) > r.bufStart+int64(r.bufLen) {
			r.fill(ws)
			if pos >= r.inEnd {
				return i
			}
		}
		var w []float64
		if r.table != nil {
			o := int(r.phase) * n2
			w = r.table[o : o+n2 : o+n2]
		} else {
			w = r.w[:n2]
			r.weights(r.phase, w)
		}
		out[i] = dot(w, r.buf[ws-r.bufStart:])
		r.pos += r.dpos
		if r.phase += r.dphase; r.phase >= r.l {
			r.phase -= r.l
			r.pos++
		}
	}
	return len(out)
}

// dot returns the weighted sum of the first len(w) frames of x, per channel,
// summing in order (as beep does).
func dot(w []float64, x [][2]float64) [2]float64 {
	x = x[:len(w)]
	var a, b float64
	for j, v := range x {
		a += w[j] * v[0]
		b += w[j] * v[1]
	}
	return [2]float64{a, b}
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
