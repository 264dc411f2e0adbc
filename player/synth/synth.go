// Package synth makes the soundscapes a phase plays when its tracks run
// short: brown noise, pink noise and a soft drone. Therapists use them as
// near-silence that still tells a patient the room is there, so they are
// quiet (about −30 dBFS RMS), have no events in them, and are seekable to
// the sample like a decoded track, so the sequencer treats them as one.
package synth

import (
	"fmt"
	"math"
	"strings"
)

// Prefix marks a timeline item's track as a soundscape: "synth:pink-noise".
const Prefix = "synth:"

// Kind is a soundscape.
type Kind string

// The soundscapes; their names match playlists' fill policies.
const (
	BrownNoise Kind = "brown-noise"
	PinkNoise  Kind = "pink-noise"
	Drone      Kind = "drone"
)

// Track is the timeline track id of soundscape k.
func Track(k Kind) string { return Prefix + string(k) }

// Parse reports which soundscape a timeline track id names, if any.
func Parse(track string) (Kind, bool) {
	name, ok := strings.CutPrefix(track, Prefix)
	if !ok {
		return "", false
	}
	switch k := Kind(name); k {
	case BrownNoise, PinkNoise, Drone:
		return k, true
	}
	return "", false
}

// Level is the RMS level of every soundscape, in dBFS per channel.
const Level = -30.0

// warmup is how many samples a noise generator runs before the sample it
// was sought to, so that its filters' state is what it would have been
// (their slowest pole decays to 1e-10 in that time at 48 kHz).
const warmup = 24000

// Source is a soundscape at the engine rate. It never ends and never fails;
// the sequencer cuts it at its item's end. It implements beep's Streamer
// and the sequencer's Source (Seek, Close). Not safe for concurrent use.
type Source struct {
	kind Kind
	rate float64
	pos  int64 // the next sample's index
	gain float64
	// Noise filters' state, per channel.
	brown [2]float64
	pink  [2][7]float64
	parts [3]partial // the drone's oscillators
}

// New returns soundscape k at rate Hz, at its first sample.
func New(k Kind, rate int) (*Source, error) {
	if rate < 8000 || rate > 384000 {
		return nil, fmt.Errorf("synth %s: rate %d Hz out of range", k, rate)
	}
	s := &Source{kind: k, rate: float64(rate), parts: droneParts(float64(rate))}
	switch k {
	case BrownNoise:
		s.gain = math.Pow(10, Level/20) / brownRMS
	case PinkNoise:
		s.gain = math.Pow(10, Level/20) / pinkRMS
	case Drone:
		s.gain = math.Pow(10, Level/20) / droneRMS
	default:
		return nil, fmt.Errorf("synth: unknown soundscape %q (want %s, %s or %s)", k, BrownNoise, PinkNoise, Drone)
	}
	return s, nil
}

// Stream implements beep.Streamer. It always fills out.
func (s *Source) Stream(out [][2]float64) (int, bool) {
	switch s.kind {
	case Drone:
		s.streamDrone(out)
	default:
		for i := range out {
			out[i] = s.noise()
		}
	}
	return len(out), true
}

// Err implements beep.Streamer; a soundscape never fails.
func (s *Source) Err() error { return nil }

// Seek moves to sample p. The noises are the same samples as if streamed
// from 0 (to within 1e-9), the drone exactly.
func (s *Source) Seek(p int) error {
	if p < 0 {
		return fmt.Errorf("synth %s: seek to %d: negative", s.kind, p)
	}
	s.pos = int64(p)
	if s.kind == Drone {
		return nil
	}
	s.brown, s.pink = [2]float64{}, [2][7]float64{}
	s.pos = max(0, int64(p)-warmup)
	for s.pos < int64(p) {
		s.noise()
	}
	return nil
}

// Close implements the sequencer's Source; there is nothing to release.
func (s *Source) Close() error { return nil }

// white returns the uniform noise sample n of channel c, in [−1, 1): a
// counter-based generator (splitmix64 of the index), so any sample can be
// computed without the ones before it.
func white(n int64, c int) float64 {
	z := uint64(n)*2 + uint64(c) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11)/float64(1<<52) - 1
}

// noise returns the next noise frame and advances.
func (s *Source) noise() [2]float64 {
	var f [2]float64
	for c := range 2 {
		w := white(s.pos, c)
		switch s.kind {
		case BrownNoise:
			// A leaky integrator: 1/f² above ~8 Hz, flat below, so it
			// never drifts off into DC.
			s.brown[c] = brownLeak*s.brown[c] + w
			f[c] = s.brown[c] * s.gain
		case PinkNoise:
			f[c] = s.pinkStep(c, w) * s.gain
		}
	}
	s.pos++
	return f
}

// brownLeak puts the integrator's corner near 8 Hz at 48 kHz.
const brownLeak = 0.999

// Measured output RMS of each generator before gain (see TestSource_level).
const (
	brownRMS = 12.9
	pinkRMS  = 0.1936
	droneRMS = 0.2483
)

// pinkStep is Paul Kellet's refined pink filter (−3 dB/octave within
// ±0.05 dB from 9 Hz up at 44.1 kHz; close enough at 48 kHz for a
// soundscape).
func (s *Source) pinkStep(c int, w float64) float64 {
	b := &s.pink[c]
	b[0] = 0.99886*b[0] + w*0.0555179
	b[1] = 0.99332*b[1] + w*0.0750759
	b[2] = 0.96900*b[2] + w*0.1538520
	b[3] = 0.86650*b[3] + w*0.3104856
	b[4] = 0.55000*b[4] + w*0.5329522
	b[5] = -0.7616*b[5] - w*0.0168980
	out := b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w*0.5362
	b[6] = w * 0.115926
	return out * 0.11
}

// droneChunk is how many samples the drone's oscillators run by rotation
// before they are re-anchored to the closed form: rotating is a few
// multiplies per sample instead of a sine, and re-anchoring keeps the
// rounding drift under 1e-12, so seeks stay exact in practice.
const droneChunk = 256

// partial is one oscillator of the drone: its angular step per sample and
// phase for the swell, the left tone and the right tone.
type partial struct {
	step, phase [3]float64
}

// droneParts is the drone: a soft open fifth on A with its octave, each
// partial swelling slowly on its own period, the right channel detuned a
// little for width.
func droneParts(rate float64) [3]partial {
	var ps [3]partial
	for i, hz := range [...]float64{110, 164.81, 220} {
		fi := float64(i)
		ps[i] = partial{
			step:  [3]float64{2 * math.Pi / ((23 + 7*fi) * rate), 2 * math.Pi * hz / rate, 2 * math.Pi * hz * 1.002 / rate},
			phase: [3]float64{fi, 0, 0.5},
		}
	}
	return ps
}

// streamDrone writes the drone from sample s.pos on.
func (s *Source) streamDrone(out [][2]float64) {
	for len(out) > 0 {
		k := min(len(out), droneChunk)
		clear(out[:k])
		for _, p := range s.parts {
			// Anchor: sin and cos of each oscillator at s.pos.
			var sn, cs, rs, rc [3]float64
			for j := range 3 {
				sn[j], cs[j] = math.Sincos(math.Mod(p.step[j]*float64(s.pos), 2*math.Pi) + p.phase[j])
				rs[j], rc[j] = math.Sincos(p.step[j])
			}
			for i := range out[:k] {
				a := (0.5 + 0.5*sn[0]) * s.gain / 3
				out[i][0] += a * sn[1]
				out[i][1] += a * sn[2]
				for j := range 3 {
					sn[j], cs[j] = sn[j]*rc[j]+cs[j]*rs[j], cs[j]*rc[j]-sn[j]*rs[j]
				}
			}
		}
		s.pos += int64(k)
		out = out[k:]
	}
}
