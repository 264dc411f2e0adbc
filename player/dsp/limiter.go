package dsp

import (
	"fmt"
	"math"
	"time"

	"github.com/gopxl/beep/v2"
)

// LimiterConfig holds a Limiter's settings. They are fixed for the
// Limiter's life: a room whose ceiling changes gets a new Limiter.
type LimiterConfig struct {
	// CeilingDB is the peak ceiling in dBFS (-60 … 0) that no output sample
	// exceeds.
	CeilingDB float64
	// Lookahead is how far ahead the Limiter sees peaks coming (0.1 … 50 ms).
	// The gain reaches the needed reduction along a linear ramp over the
	// first half of it, so it is complete half a lookahead before the peak
	// is output. It is also the Limiter's latency.
	Lookahead time.Duration
	// Release is the time constant (10 ms … 5 s) of the recovery of the
	// gain once the peaks have passed: the reduction in dB decays
	// exponentially, so deep and shallow reductions recover alike.
	Release time.Duration
}

// DefaultLimiterConfig returns the default settings: a −1 dBFS ceiling, 10 ms
// lookahead (a 5 ms attack ramp, complete 5 ms before the peak) and a 200 ms
// release.
func DefaultLimiterConfig() LimiterConfig {
	return LimiterConfig{CeilingDB: -1, Lookahead: 10 * time.Millisecond, Release: 200 * time.Millisecond}
}

// Validate reports whether the settings are within their ranges.
func (c LimiterConfig) Validate() error {
	switch {
	case !(c.CeilingDB >= -60 && c.CeilingDB <= 0):
		return fmt.Errorf("dsp: limiter ceiling %v dBFS: must be within -60…0", c.CeilingDB)
	case c.Lookahead < 100*time.Microsecond || c.Lookahead > 50*time.Millisecond:
		return fmt.Errorf("dsp: limiter lookahead %v: must be within 0.1ms…50ms", c.Lookahead)
	case c.Release < 10*time.Millisecond || c.Release > 5*time.Second:
		return fmt.Errorf("dsp: limiter release %v: must be within 10ms…5s", c.Release)
	}
	return nil
}

// releaseSnap is how close to 1 the recovering gain must come before it
// snaps to exactly 1, so the Limiter returns to bit-exact pass-through after a
// reduction. The snap is a relative change of 1e-7 (−140 dB).
const releaseSnap = 1e-7

// thresholdMargin sets the gain computer's threshold a hair below the
// ceiling so that rounding in the gain arithmetic never makes the final clamp
// engage on an ordinary signal.
const thresholdMargin = 1 - 1e-9

// Limiter is a lookahead peak limiter: the last safety stage, which keeps
// every output sample within ±ceiling whatever comes in.
//
// Each input frame's needed gain is ceiling/peak (1 when the peak is below
// the ceiling). That gain recovers toward 1 (exponentially in dB, with time
// constant Release) and is held at its minimum over a window reaching
// Latency() samples back, while the audio is delayed by Latency() samples;
// the held gain is smoothed by a moving average over the first half of the
// lookahead (the attack). Every value in the average covers the frame being
// output and the half lookahead after it, so the gain applied is never more
// than those frames need: the gain reduction ramps in linearly over the
// attack and is complete half a lookahead before the peak arrives, with no
// step. Finishing early matters at the onset of a sudden loud passage: the
// gain is already down for the whole first quarter wave of anything above
// 50 Hz (at 10 ms lookahead), so the onset does not come out steeper than the
// limited music itself.
//
// A final clamp at the ceiling guarantees the bound against rounding; Clamped
// counts how often it engaged (0 on every test signal). Non-finite input
// samples (NaN, ±Inf) are replaced by zero and also counted in Clamped.
//
// While the signal stays below the ceiling the output is the input, bit-exact,
// Latency() samples later. The output starts with Latency() samples of
// silence, and when the wrapped Streamer is drained the Limiter streams the
// last Latency() samples still inside it before it drains.
//
// The Limiter keeps its state between Stream calls; it is not safe for
// concurrent use (see the package comment).
type Limiter struct {
	// Streamer is the wrapped source.
	Streamer beep.Streamer

	cfg       LimiterConfig
	ceiling   float64 // linear
	threshold float64 // linear, a hair under ceiling
	relCoef   float64 // per-sample decay factor of the reduction in dB

	rel    float64 // release-smoothed needed gain
	relLog float64 // ln(rel)

	// Sliding minimum of the release-smoothed gain over the hold window
	// (latency+1 samples), as a monotonic deque in a ring: values increase
	// from head to tail.
	minVal []float64
	minIdx []int64
	minHd  int
	minLen int
	t      int64 // index of the current input sample

	// Moving average of the held minimum over the attack window.
	box      []float64
	boxAt    int
	boxSum   float64
	boxBelow int // how many values in box are below 1
	boxFresh int // samples since boxSum was recomputed

	delay   [][2]float64 // the audio delay line, latency samples
	delayAt int

	gainNow   float64 // gain applied to the last output sample
	perSample bool    // take the full path for every frame (tests compare the paths)
	clamped   int64
	srcDone   bool
	flushLeft int
	drained   bool
}

// NewLimiter wraps s in a Limiter at sample rate rate. It returns an error if
// cfg is invalid or rate is not positive.
func NewLimiter(s beep.Streamer, rate beep.SampleRate, cfg LimiterConfig) (*Limiter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if rate <= 0 {
		return nil, fmt.Errorf("dsp: limiter sample rate %d: must be positive", rate)
	}
	latency := max(2, rate.N(cfg.Lookahead))
	hold := latency + 1
	attack := hold - max(1, latency/2)
	ceiling := DBToGain(cfg.CeilingDB)
	l := &Limiter{
		Streamer:  s,
		cfg:       cfg,
		ceiling:   ceiling,
		threshold: ceiling * thresholdMargin,
		relCoef:   math.Exp(-1 / (cfg.Release.Seconds() * float64(rate))),
		rel:       1,
		minVal:    make([]float64, hold),
		minIdx:    make([]int64, hold),
		box:       make([]float64, attack),
		boxSum:    float64(attack),
		delay:     make([][2]float64, latency),
		gainNow:   1,
		flushLeft: latency,
	}
	for i := range l.box {
		l.box[i] = 1
	}
	return l, nil
}

// Latency returns the delay, in samples, between a sample entering the
// Limiter and leaving it: the lookahead.
func (l *Limiter) Latency() int { return len(l.delay) }

// Config returns the Limiter's settings.
func (l *Limiter) Config() LimiterConfig { return l.cfg }

// Reduction returns the gain reduction applied to the last output sample,
// in dB (0 when the Limiter is not limiting, positive when it is).
func (l *Limiter) Reduction() float64 { return -GainToDB(l.gainNow) }

// Clamped returns how many output channel samples the final clamp has cut to
// the ceiling, plus how many non-finite input samples were replaced by zero.
// It stays 0 unless something is wrong upstream or with the Limiter.
func (l *Limiter) Clamped() int64 { return l.clamped }

// Stream streams the wrapped Streamer through the limiter, Latency() samples
// late. It returns len(samples), true until the wrapped Streamer is drained
// and the samples still in the delay line are out; then fewer samples, then
// 0, false.
func (l *Limiter) Stream(samples [][2]float64) (n int, ok bool) {
	if l.drained {
		return 0, false
	}
	if !l.srcDone {
		var srcOK bool
		n, srcOK = l.Streamer.Stream(samples)
		if n < len(samples) || !srcOK {
			l.srcDone = true
		}
	}
	if l.srcDone && n < len(samples) {
		tail := min(len(samples)-n, l.flushLeft)
		clear(samples[n : n+tail])
		n += tail
		l.flushLeft -= tail
	}
	if n == 0 {
		l.drained = true
		return 0, false
	}
	l.process(samples[:n])
	return n, true
}

// Err propagates the wrapped Streamer's error.
func (l *Limiter) Err() error {
	return l.Streamer.Err()
}

// process limits buf in place: each input frame goes into the delay line and
// the frame Latency() samples older comes out with the gain applied. While
// the Limiter is idle, quiet frames take a fast path that does exactly what
// the full path would do for them.
func (l *Limiter) process(buf [][2]float64) {
	for len(buf) > 0 {
		if !l.perSample && l.idle() {
			n := l.passQuiet(buf)
			if buf = buf[n:]; len(buf) == 0 {
				return
			}
		}
		buf = buf[l.limit(buf):]
	}
}

// idle reports whether every value in the hold window and the attack
// average is 1: the Limiter applies gain 1 and holds only frames at or under
// the threshold (a frame over it would still be in the window).
func (l *Limiter) idle() bool {
	return l.boxBelow == 0 && l.minVal[l.minHd] == 1
}

// passQuiet handles the leading frames of buf that are finite and at or under
// the threshold, while the Limiter is idle, and returns how many there were.
// For them the full path would compute gain 1 (its release is at rest, the
// windows see only 1s) and its clamp would not engage, so each frame only
// passes through the delay line; the windows' bookkeeping is advanced as
// the full path would advance it.
func (l *Limiter) passQuiet(buf [][2]float64) int {
	thr := l.threshold
	d := l.delay
	at := l.delayAt
	n := 0
	for i, x := range buf {
		// NaN and ±Inf fail the comparisons and leave the fast path.
		if !(math.Abs(x[0]) <= thr && math.Abs(x[1]) <= thr) {
			break
		}
		buf[i] = d[at]
		d[at] = x
		if at++; at == len(d) {
			at = 0
		}
		n = i + 1
	}
	if n == 0 {
		return 0
	}
	l.delayAt = at
	// The hold window holds a single 1, pushed last.
	l.t += int64(n)
	l.minVal[l.minHd], l.minIdx[l.minHd], l.minLen = 1, l.t-1, 1
	// The attack average: 1s replace 1s. A periodic recompute in between
	// would have summed len(box) ones: exactly len(box).
	w := len(l.box)
	l.boxAt = (l.boxAt + n) % w
	if l.boxFresh+n >= w {
		l.boxSum = float64(w)
	}
	l.boxFresh = (l.boxFresh + n) % w
	l.gainNow = 1
	return n
}

// limit is the full path: it limits the leading frames of buf in place,
// at least one, until the Limiter is idle again, and returns how many it
// limited.
func (l *Limiter) limit(buf [][2]float64) int {
	for i := range buf {
		x := buf[i]
		if !finite(x[0]) || !finite(x[1]) {
			if !finite(x[0]) {
				x[0] = 0
				l.clamped++
			}
			if !finite(x[1]) {
				x[1] = 0
				l.clamped++
			}
		}

		// Needed gain, with instant attack and exponential release.
		need := 1.0
		if p := max(math.Abs(x[0]), math.Abs(x[1])); p > l.threshold {
			need = l.threshold / p
		}
		if l.rel < 1 {
			// Release: the reduction in dB (here ln, relLog) decays
			// exponentially.
			l.relLog *= l.relCoef
			l.rel = math.Exp(l.relLog)
			if 1-l.rel < releaseSnap {
				l.rel, l.relLog = 1, 0
			}
		}
		if need < l.rel {
			l.rel, l.relLog = need, math.Log(need)
		}

		held := l.pushMin(l.rel)
		g := l.pushBox(held)

		y := l.delay[l.delayAt]
		l.delay[l.delayAt] = x
		l.delayAt++
		if l.delayAt == len(l.delay) {
			l.delayAt = 0
		}
		if g != 1 {
			y[0] *= g
			y[1] *= g
		}
		y[0] = l.clamp(y[0])
		y[1] = l.clamp(y[1])
		buf[i] = y
		l.gainNow = g
		if g == 1 && !l.perSample && l.idle() {
			return i + 1
		}
	}
	return len(buf)
}

// pushMin adds v as the newest sample of the hold window and returns the
// window's minimum.
func (l *Limiter) pushMin(v float64) float64 {
	w := len(l.minVal)
	if l.minLen > 0 && l.minIdx[l.minHd] <= l.t-int64(w) {
		if l.minHd++; l.minHd == w {
			l.minHd = 0
		}
		l.minLen--
	}
	for l.minLen > 0 {
		back := l.minHd + l.minLen - 1
		if back >= w {
			back -= w
		}
		if l.minVal[back] < v {
			break
		}
		l.minLen--
	}
	tail := l.minHd + l.minLen
	if tail >= w {
		tail -= w
	}
	l.minVal[tail] = v
	l.minIdx[tail] = l.t
	l.minLen++
	l.t++
	return l.minVal[l.minHd]
}

// pushBox adds v to the moving average and returns the average, exactly 1
// when every value in the window is 1.
func (l *Limiter) pushBox(v float64) float64 {
	old := l.box[l.boxAt]
	if old < 1 {
		l.boxBelow--
	}
	if v < 1 {
		l.boxBelow++
	}
	l.box[l.boxAt] = v
	l.boxSum += v - old
	l.boxAt++
	if l.boxAt == len(l.box) {
		l.boxAt = 0
	}
	if l.boxFresh++; l.boxFresh == len(l.box) {
		// Recompute the sum now and then so rounding cannot accumulate.
		l.boxFresh = 0
		l.boxSum = 0
		for _, b := range l.box {
			l.boxSum += b
		}
	}
	if l.boxBelow == 0 {
		return 1
	}
	return min(1, l.boxSum/float64(len(l.box)))
}

func (l *Limiter) clamp(v float64) float64 {
	switch {
	case v > l.ceiling:
		l.clamped++
		return l.ceiling
	case v < -l.ceiling:
		l.clamped++
		return -l.ceiling
	}
	return v
}

func finite(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0)
}
