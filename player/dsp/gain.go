package dsp

import (
	"fmt"
	"math"

	"github.com/gopxl/beep/v2"
)

const (
	// DefaultSlew is the default maximum rate of level change of a Gain, in
	// dB per second (DESIGN.md §5, config key audio.max_slew).
	DefaultSlew = 6.0

	// FloorDB is the lowest audible level of a Gain. Targets at or below it
	// mean silence: a fade down ramps to FloorDB and then outputs true zeros;
	// a fade up from silence starts at FloorDB. The step between FloorDB and
	// zero is 3.2e-5 of full scale (−90 dBFS), far below any click.
	FloorDB = -90.0

	// MaxGainDB is the highest target a Gain accepts; higher targets are
	// clamped to it. The room's ceiling is the Limiter's job, this only keeps
	// a bad number from asking for absurd gain.
	MaxGainDB = 24.0

	// anchorEvery bounds how many samples a ramp runs on repeated
	// multiplication before the gain is recomputed exactly from dB.
	anchorEvery = 1024
)

// Gain scales a Streamer by a level in dB that moves toward a target at no
// more than a maximum slew rate, sample by sample.
//
// A ramp is linear in dB (exponential in amplitude), which is how loudness is
// heard: each sample's level differs from the previous one by at most
// slew/rate dB (1.25e-4 dB at 6 dB/s and 48 kHz, a relative amplitude
// change of 1.44e-5), and the last sample of a ramp lands exactly on the
// target. Silence is a state, not a level: fading to silence ramps to FloorDB
// and then outputs zeros, so it ends in finite time (15 s from 0 dB at 6 dB/s).
//
// A new Gain is silent with a silent target, so nothing is ever heard at full
// volume by default; call SetTarget to fade in. While settled at 0 dB the
// samples pass bit-exact.
//
// Gain keeps pulling from its Streamer while silent: the music's clock runs on.
// Settings are changed by the goroutine that calls Stream (see the package
// comment).
type Gain struct {
	// Streamer is the wrapped source.
	Streamer beep.Streamer

	rate    float64
	slew    float64 // dB per second
	step    float64 // dB per sample
	target  float64 // dB, or -Inf for silence
	current float64 // dB, or -Inf for silence

	// The ramp in progress: n steps of dir dB from level from, k done.
	ramping bool
	from    float64
	dir     float64
	k, n    int64
}

// NewGain wraps s in a silent Gain at sample rate rate with DefaultSlew.
// It panics if rate is not positive (a programming error).
func NewGain(s beep.Streamer, rate beep.SampleRate) *Gain {
	if rate <= 0 {
		panic(fmt.Sprintf("dsp: NewGain with sample rate %d", rate))
	}
	g := &Gain{Streamer: s, rate: float64(rate), target: math.Inf(-1), current: math.Inf(-1)}
	g.slew = DefaultSlew
	g.step = DefaultSlew / g.rate
	return g
}

// SetTarget sets the level, in dB, that the gain moves toward from its
// current level. A target at or below FloorDB, -Inf or NaN means silence;
// targets above MaxGainDB are clamped to it.
func (g *Gain) SetTarget(db float64) {
	switch {
	case math.IsNaN(db) || db <= FloorDB:
		db = math.Inf(-1)
	case db > MaxGainDB:
		db = MaxGainDB
	}
	g.target = db
	g.ramping = false
}

// SetSlew sets the maximum rate of level change in dB per second. It returns
// an error, and keeps the old rate, unless dbPerSecond is positive and finite.
// A ramp in progress continues at the new rate from its current level.
func (g *Gain) SetSlew(dbPerSecond float64) error {
	if !(dbPerSecond > 0) || math.IsInf(dbPerSecond, 1) {
		return fmt.Errorf("dsp: set slew to %v dB/s: must be positive and finite", dbPerSecond)
	}
	g.slew = dbPerSecond
	g.step = dbPerSecond / g.rate
	g.ramping = false
	return nil
}

// Reset sets the current level and the target to db at once, a step. It is
// meant only for setting up a Gain before it is heard (for example when the
// stage after it is still silent); use SetTarget for every audible change.
// db follows SetTarget's rules.
func (g *Gain) Reset(db float64) {
	g.SetTarget(db)
	g.current = g.target
}

// Slew returns the maximum rate of level change in dB per second.
func (g *Gain) Slew() float64 { return g.slew }

// Target returns the target level in dB, -Inf when the target is silence.
func (g *Gain) Target() float64 { return g.target }

// Current returns the level, in dB, applied to the last streamed sample;
// -Inf when silent.
func (g *Gain) Current() float64 { return g.current }

// Settled reports whether the current level has reached the target.
func (g *Gain) Settled() bool { return g.current == g.target }

// Stream streams the wrapped Streamer with the gain applied, moving the
// level toward the target by at most one slew step per sample. It returns
// what the wrapped Streamer returns.
func (g *Gain) Stream(samples [][2]float64) (n int, ok bool) {
	n, ok = g.Streamer.Stream(samples)
	buf := samples[:n]
	for len(buf) > 0 {
		if g.current == g.target {
			scale(buf, DBToGain(g.current))
			break
		}
		k := g.ramp(buf[:min(len(buf), anchorEvery)])
		buf = buf[k:]
	}
	return n, ok
}

// Err propagates the wrapped Streamer's error.
func (g *Gain) Err() error {
	return g.Streamer.Err()
}

// ramp moves the level toward the target over the samples of buf, applying
// it, and returns how many samples it ramped (fewer than len(buf) when the
// target was reached). A ramp is planned once, when it starts, as n steps
// from a fixed level, so its length is exact and rounding cannot accumulate.
func (g *Gain) ramp(buf [][2]float64) int {
	goal := g.target
	if math.IsInf(goal, -1) {
		goal = FloorDB
	}
	if !g.ramping {
		if math.IsInf(g.current, -1) {
			// Rising from silence: the first sample is at FloorDB.
			g.current = FloorDB
			lin := DBToGain(FloorDB)
			buf[0][0] *= lin
			buf[0][1] *= lin
			return 1
		}
		g.from = g.current
		g.dir = g.step
		if goal < g.from {
			g.dir = -g.step
		}
		g.k = 0
		g.n = max(1, int64(math.Ceil(math.Abs(goal-g.from)/g.step)))
		g.ramping = true
	}
	k := int(min(int64(len(buf)), g.n-g.k))
	lin := DBToGain(g.from + float64(g.k)*g.dir)
	ratio := DBToGain(g.dir)
	for i := range buf[:k] {
		lin *= ratio
		if g.k+int64(i)+1 == g.n {
			lin = DBToGain(goal)
		}
		buf[i][0] *= lin
		buf[i][1] *= lin
	}
	g.k += int64(k)
	if g.k < g.n {
		g.current = g.from + float64(g.k)*g.dir
		return k
	}
	g.ramping = false
	g.current = goal
	if math.IsInf(g.target, -1) {
		g.current = g.target
	}
	return k
}
