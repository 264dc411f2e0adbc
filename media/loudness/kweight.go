package loudness

import "math"

// The K-weighting of ITU-R BS.1770-4 is two second-order sections: a high
// shelf modelling the head (stage 1, "pre-filter") and the RLB high-pass
// (stage 2). The Recommendation tabulates their coefficients for 48 kHz only;
// at any other rate those numbers describe a different filter (the shelf moves
// by the rate ratio), so we derive the sections for the actual rate from the
// analogue prototypes behind the table: centre frequency, Q and, for the
// shelf, its gain. The prototype parameters are those fitted to the 48 kHz
// table by the libebur128 authors (also used by ffmpeg's ebur128 filter);
// the bilinear transform below, prewarped at f0, reproduces the table at
// 48 kHz to about 1e-8 (TestKWeighting_48kTable).
const (
	shelfF0   = 1681.974450955533  // Hz
	shelfGain = 3.999843853973347  // dB, at high frequencies
	shelfQ    = 0.7071752369554196 //
	shelfVb   = 0.4996667741545416 // the band gain as a power of the high gain
	rlbF0     = 38.13547087602444  // Hz
	rlbQ      = 0.5003270373238773 //
)

// biquad holds normalised second-order coefficients (a0 = 1):
// y[n] = b0·x[n] + b1·x[n-1] + b2·x[n-2] − a1·y[n-1] − a2·y[n-2].
type biquad struct {
	b0, b1, b2, a1, a2 float64
}

// shelfFilter is the stage 1 high shelf at rate Hz.
func shelfFilter(rate float64) biquad {
	k := math.Tan(math.Pi * shelfF0 / rate)
	vh := math.Pow(10, shelfGain/20)
	vb := math.Pow(vh, shelfVb)
	a0 := 1 + k/shelfQ + k*k
	return biquad{
		b0: (vh + vb*k/shelfQ + k*k) / a0,
		b1: 2 * (k*k - vh) / a0,
		b2: (vh - vb*k/shelfQ + k*k) / a0,
		a1: 2 * (k*k - 1) / a0,
		a2: (1 - k/shelfQ + k*k) / a0,
	}
}

// rlbFilter is the stage 2 RLB high-pass at rate Hz. The Recommendation's
// table gives it the numerator 1, −2, 1, which is the bilinear high-pass
// times its own a0 (1 + K/Q + K², 1.005 at 48 kHz): a pass-band gain of
// +0.043 dB that the −0.691 dB calibration of BS.1770 takes into account.
// Re-deriving the numerator at another rate would change that gain (by
// 0.02 dB at 96 kHz), so the pass-band gain is kept at its 48 kHz value.
func rlbFilter(rate float64) biquad {
	k := math.Tan(math.Pi * rlbF0 / rate)
	a0 := 1 + k/rlbQ + k*k
	k48 := math.Tan(math.Pi * rlbF0 / 48000)
	g := (1 + k48/rlbQ + k48*k48) / a0
	return biquad{
		b0: g, b1: -2 * g, b2: g,
		a1: 2 * (k*k - 1) / a0,
		a2: (1 - k/rlbQ + k*k) / a0,
	}
}

// response is the biquad's gain at f Hz for the sample rate, in dB.
func (q biquad) response(f, rate float64) float64 {
	w := 2 * math.Pi * f / rate
	z1 := complex(math.Cos(w), -math.Sin(w)) // z^-1
	z2 := z1 * z1
	num := complex(q.b0, 0) + complex(q.b1, 0)*z1 + complex(q.b2, 0)*z2
	den := 1 + complex(q.a1, 0)*z1 + complex(q.a2, 0)*z2
	h := num / den
	return 20 * math.Log10(math.Hypot(real(h), imag(h)))
}

// kWeighting is the two stages for one sample rate.
type kWeighting struct {
	shelf, rlb biquad
}

func newKWeighting(rate int) kWeighting {
	return kWeighting{shelf: shelfFilter(float64(rate)), rlb: rlbFilter(float64(rate))}
}

// response is the K-weighting's gain at f Hz, in dB.
func (k kWeighting) response(f, rate float64) float64 {
	return k.shelf.response(f, rate) + k.rlb.response(f, rate)
}

// kState is one channel's filter memory (transposed direct form II).
type kState struct {
	s1, s2, t1, t2 float64
}

// filter runs x through both stages, returning the sum of the squared
// output and the largest |x| (the sample peak, which costs nothing here as
// the loop reads every sample anyway).
func (k *kWeighting) filter(st *kState, x []float64) (energy, peak float64) {
	// The RLB numerator is g·(1, −2, 1); g moves into the shelf's
	// numerator, leaving the RLB's a multiply-free 1, −2, 1.
	g := k.rlb.b0
	b0, b1, b2, a1, a2 := g*k.shelf.b0, g*k.shelf.b1, g*k.shelf.b2, k.shelf.a1, k.shelf.a2
	c1, c2 := k.rlb.a1, k.rlb.a2
	s1, s2, t1, t2 := st.s1, st.s2, st.t1, st.t2
	for _, v := range x {
		y := b0*v + s1
		s1 = b1*v - a1*y + s2
		s2 = b2*v - a2*y
		z := y + t1
		t1 = -2*y - c1*z + t2
		t2 = y - c2*z
		energy += z * z
		peak = max(peak, math.Abs(v))
	}
	*st = kState{s1: flush(s1), s2: flush(s2), t1: flush(t1), t2: flush(t2)}
	return energy, peak
}

// flush zeroes filter memory that has decayed far below audibility: after a
// track falls silent the state would otherwise decay into subnormal numbers,
// which x86 processes tens of times slower than normal ones. Flushing once
// per block suffices: from 1e-30 the slowest pole (the RLB's, 0.995 per
// sample at 48 kHz) needs about 10^5 samples to reach the subnormal range.
func flush(v float64) float64 {
	if math.Abs(v) < 1e-30 {
		return 0
	}
	return v
}
