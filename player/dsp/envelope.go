package dsp

import (
	"math"

	"github.com/gopxl/beep/v2"
)

// Envelope applies per-item fades to a Streamer: fade-in and fade-out,
// crossfades, and the pause, resume, skip and quiet fades of the controls.
//
// # Curve
//
// Every fade follows the equal-power curve: a fade from gain A to gain B over
// N samples gives the sample k samples after its start (k = 0 … N−1) the gain
//
//	g = sqrt(A² + (B² − A²)·sin²(π/2 · (k+1)/N))
//
// so a fade-out from 1 to 0 is cos and a fade-in from 0 to 1 is sin, a
// quarter wave each. The two sides of a crossfade of equal length starting on
// the same sample sum to constant power (cos² + sin² = 1), which is what keeps
// the loudness of two uncorrelated pieces of music steady through it; a
// linear crossfade dips by 3 dB in the middle, and a linear-in-dB curve never
// reaches silence. The curve is monotonic and reaches B exactly; it meets
// the louder level with zero slope and the silent end with a slope of
// π/(2N) per sample (1.6e-5 per sample for a 2 s fade at 48 kHz).
//
// # Positions
//
// Positions are counted in samples taken from the wrapped Streamer
// (Position), which is the item's own position: it stands still while the
// Envelope is held. A fade of N samples starting at position p changes
// exactly the samples p … p+N−1; sample p+N−1 has gain B exactly, and so
// does every later sample until the next fade. A fade that starts while
// another is running starts from the gain of the last sample, so the level
// never steps.
//
// # Pause
//
// Pause fades to silence and then holds: while held, Stream outputs silence
// without pulling from the wrapped Streamer, so Resume continues the music on
// exactly the sample after the last one pulled, fading back in to the gain
// the Envelope had before the pause.
//
// Settings are changed by the goroutine that calls Stream (see the package
// comment).
type Envelope struct {
	// Streamer is the wrapped source.
	Streamer beep.Streamer

	pos  int64   // samples taken from Streamer
	gain float64 // gain of the last sample (the level between fades)

	fade    fade // the running fade, if active
	pending fade // a fade scheduled by FadeAt, if active

	pausing    bool    // the running fade is a pause fade; hold when it ends
	held       bool    // paused: output silence, pull nothing
	resumeGain float64 // gain Resume fades back to
	drained    bool
}

// fade is one fade from gain from to gain to over the samples
// [start, start+n) of the wrapped Streamer.
type fade struct {
	active   bool
	from, to float64
	start, n int64
}

// curveAnchor is how often, in samples, the fade curve's sine is computed
// exactly; in between it is rotated forward by one sample's angle (a few
// multiplications instead of a sine), which drifts by at most a few 1e-15
// before the next anchor.
const curveAnchor = 64

// sinCos returns sin and cos of the curve's angle π/2 · k/n: exact at
// multiples of curveAnchor, rotated forward from the last one in between,
// so the value at k is the same however the samples are split into blocks.
func (f *fade) sinCos(k int64) (s, c float64) {
	at := k - k%curveAnchor
	s, c = math.Sincos(math.Pi / 2 * float64(at) / float64(f.n))
	sn, cs := math.Sincos(math.Pi / 2 / float64(f.n))
	for range k - at {
		s, c = s*cs+c*sn, c*cs-s*sn
	}
	return s, c
}

// NewEnvelope wraps s in an Envelope at a constant gain (linear amplitude,
// see FadeTo for the allowed values). Items start with gain 0 and a fade-in.
func NewEnvelope(s beep.Streamer, gain float64) *Envelope {
	return &Envelope{Streamer: s, gain: cleanGain(gain)}
}

// cleanGain maps gains to the allowed range: NaN and negative gains become
// 0, gains above MaxGainDB are clamped.
func cleanGain(g float64) float64 {
	if !(g > 0) {
		return 0
	}
	return min(g, DBToGain(MaxGainDB))
}

// FadeTo starts a fade from the current gain to gain (linear amplitude, ≥ 0)
// over the next samples samples, replacing any running fade; samples below 1
// count as 1. While paused it only sets the gain Resume fades back to.
func (e *Envelope) FadeTo(gain float64, samples int64) {
	gain = cleanGain(gain)
	if e.pausing || e.held {
		e.resumeGain = gain
		return
	}
	e.startFade(gain, samples)
}

// FadeAt schedules a fade to gain over samples samples that starts on
// position at, replacing any fade scheduled before. When the Envelope reaches
// at, the scheduled fade replaces the running one, starting from the current
// gain. A position already passed starts the fade on the next sample. A fade
// scheduled while paused waits for Resume; it then starts as soon as its
// position is reached, taking over from the resume fade.
func (e *Envelope) FadeAt(at int64, gain float64, samples int64) {
	e.pending = fade{active: true, to: cleanGain(gain), start: at, n: max(samples, 1)}
}

// CancelScheduled drops the fade scheduled by FadeAt, if any.
func (e *Envelope) CancelScheduled() {
	e.pending.active = false
}

// Pause fades to silence over samples samples and then holds. It does nothing
// when already paused.
func (e *Envelope) Pause(samples int64) {
	if e.pausing || e.held {
		return
	}
	e.resumeGain = e.gain
	if e.fade.active {
		e.resumeGain = e.fade.to
	}
	e.startFade(0, samples)
	e.pausing = true
}

// Resume ends a pause, or a pause fade still running, and fades back over
// samples samples to the gain the Envelope had before Pause (or the last gain
// given to FadeTo since). It does nothing when not paused.
func (e *Envelope) Resume(samples int64) {
	if !e.pausing && !e.held {
		return
	}
	e.pausing, e.held = false, false
	e.startFade(e.resumeGain, samples)
}

// Paused reports whether Pause was called and Resume was not: the Envelope is
// fading out for a pause or is held.
func (e *Envelope) Paused() bool { return e.pausing || e.held }

// Held reports whether the pause fade has finished: the Envelope outputs
// silence and pulls nothing from its Streamer.
func (e *Envelope) Held() bool { return e.held }

// Fading reports whether a fade is running.
func (e *Envelope) Fading() bool { return e.fade.active }

// Gain returns the gain applied to the last streamed sample.
func (e *Envelope) Gain() float64 { return e.gain }

// Position returns the number of samples taken from the wrapped Streamer.
func (e *Envelope) Position() int64 { return e.pos }

func (e *Envelope) startFade(to float64, samples int64) {
	e.pausing = false
	e.fade = fade{active: true, from: e.gain, to: to, start: e.pos, n: max(samples, 1)}
}

// Stream streams the wrapped Streamer with the envelope applied. While held
// it fills samples with silence and returns len(samples), true without
// pulling from the wrapped Streamer. Otherwise it returns what the wrapped
// Streamer returns: fewer than len(samples) samples, or 0 and false, once it
// is drained.
func (e *Envelope) Stream(samples [][2]float64) (n int, ok bool) {
	for n < len(samples) {
		if e.drained {
			return n, n > 0
		}
		if e.held {
			clear(samples[n:])
			return len(samples), true
		}
		chunk := samples[n:]
		if e.pending.active && !e.pausing {
			if e.pending.start <= e.pos {
				e.startFade(e.pending.to, e.pending.n)
				e.pending.active = false
			} else if d := e.pending.start - e.pos; d < int64(len(chunk)) {
				chunk = chunk[:d]
			}
		}
		if e.fade.active {
			if d := e.fade.start + e.fade.n - e.pos; d < int64(len(chunk)) {
				chunk = chunk[:d]
			}
		}
		got, srcOK := e.Streamer.Stream(chunk)
		e.apply(chunk[:got])
		n += got
		if got < len(chunk) || !srcOK {
			e.drained = true
		}
	}
	return n, true
}

// apply applies the envelope to buf, the samples at positions pos … and
// advances pos. buf never extends past the end of the running fade.
func (e *Envelope) apply(buf [][2]float64) {
	if !e.fade.active {
		scale(buf, e.gain)
		e.pos += int64(len(buf))
		return
	}
	f := &e.fade
	// The curve index of buf[0]: its sample has gain
	// sqrt(from² + (to² − from²)·sin²(π/2 · k/n)); buf ends by k = n.
	k := e.pos - f.start + 1
	s, c := f.sinCos(k)
	sn, cs := math.Sincos(math.Pi / 2 / float64(f.n))
	// g² = A² + (B² − A²)·sin² = B² + (A² − B²)·cos²: the form whose terms
	// are both positive, so nothing cancels near the quiet end.
	a2, b2, d := f.from*f.from, f.to*f.to, f.to*f.to-f.from*f.from
	rising := f.to > f.from
	g := e.gain
	for i := range buf {
		if k >= f.n {
			g = f.to
		} else {
			// The rotated sine can be off by an ulp or so where the
			// curve is flattest; holding the gain between the last one
			// and the target keeps the fade monotonic.
			// (Comparisons rather than min and max, which also order NaNs
			// and signed zeros: gains are neither.)
			if rising {
				v := math.Sqrt(a2 + d*s*s)
				if v < g {
					v = g
				}
				if v > f.to {
					v = f.to
				}
				g = v
			} else {
				v := math.Sqrt(b2 - d*c*c)
				if v > g {
					v = g
				}
				if v < f.to {
					v = f.to
				}
				g = v
			}
		}
		buf[i][0] *= g
		buf[i][1] *= g
		if k++; k%curveAnchor == 0 {
			s, c = math.Sincos(math.Pi / 2 * float64(k) / float64(f.n))
		} else {
			s, c = s*cs+c*sn, c*cs-s*sn
		}
	}
	e.gain = g
	e.pos += int64(len(buf))
	if e.pos >= f.start+f.n {
		f.active = false
		e.gain = f.to
		if e.pausing {
			e.pausing, e.held = false, true
		}
	}
}

// Err propagates the wrapped Streamer's error.
func (e *Envelope) Err() error {
	return e.Streamer.Err()
}
