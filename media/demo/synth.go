package demo

import (
	"math"
	"time"
)

// SampleRate is the rate every piece is rendered at, in Hz.
const SampleRate = 44100

const (
	// tableBits sets the wavetables' length (4096 points, linearly
	// interpolated: its error is under −100 dB for the partials we use).
	tableBits = 12
	tableSize = 1 << tableBits
	fracBits  = 32 - tableBits
	fracMask  = 1<<fracBits - 1
	fracScale = 1.0 / (1 << fracBits)

	// control is how many frames apart voices' gains are computed; between
	// them a gain moves in a straight line, which at 5.8 ms steps of a curve
	// lasting seconds is as smooth as the curve.
	control = 256

	// fadeTime is the fade in at the start and the fade out at the end.
	fadeTime = 20 * time.Second

	// headroom bounds the sum of every voice's gain at any instant, with
	// every wavetable's peak at 1: no sample can exceed it (−2.05 dBFS).
	headroom = 0.79

	// harmonics is how many partials the pads' wavetable holds. The highest
	// pad note is under 1.3 kHz, so the top partial stays under 13 kHz.
	harmonics = 10
)

// wavetable is one cycle of a waveform: each point's value and the slope
// to the next point, side by side, so that an interpolated read is one
// cache line and one multiply-add.
type wavetable [tableSize][2]float64

// newTable builds the waveform whose partial k (1-based) has amplitude
// amps[k-1], normalized to a peak of 1.
func newTable(amps []float64) *wavetable {
	var v [tableSize + 1]float64
	peak := 0.0
	for i := range tableSize {
		x := 2 * math.Pi * float64(i) / tableSize
		for k, a := range amps {
			v[i] += a * math.Sin(float64(k+1)*x)
		}
		peak = max(peak, math.Abs(v[i]))
	}
	v[tableSize] = v[0]
	var t wavetable
	for i := range tableSize {
		t[i] = [2]float64{v[i] / peak, (v[i+1] - v[i]) / peak}
	}
	return &t
}

// padTable is a sawtooth's partials (1/k) under a gentle low-pass whose
// slope brightness sets: bright 0.25 is nearly a sine, 0.6 a soft string pad.
func padTable(bright float64) *wavetable {
	amps := make([]float64, harmonics)
	for k := range amps {
		amps[k] = math.Pow(bright, float64(k)) / float64(k+1)
	}
	return newTable(amps)
}

// voice is one pitch of a piece, sounding whenever a chord of the
// progression holds it: two oscillators detuned up and down, panned apart.
type voice struct {
	table          *wavetable
	incUp, incDown uint32    // phase increments per frame (2^32 is a cycle)
	near, far      float64   // the up oscillator's share in the left and right channel (the down one's mirrored)
	weights        []float64 // the voice's level in each chord of the progression; 0 where absent
	lfoRate        float64   // radians per frame of its swell
	lfoPhase       float64
	depth          float64 // how far the swell dips: 0 none, 1 to silence
	gain           float64 // at the current control point
}

// synth renders one piece, a block at a time.
type synth struct {
	voices      []*voice
	total       int64   // frames
	pos         int64   // the next frame
	chordFrames float64 // how long each chord holds
	xfade       float64 // how long two chords overlap, ≤ chordFrames
	fadeFrames  float64
	scale       float64 // every weight's factor, so that chords sum to headroom
}

// frames is how many sample frames a length is at SampleRate.
func frames(d time.Duration) int64 {
	return int64(d) * SampleRate / int64(time.Second)
}

// newSynth prepares piece p. Intensity sets the density (notes per chord,
// a high shimmer from 3 up), the brightness and the pace of the chords.
func newSynth(p Piece) *synth {
	r := p.recipe
	in := min(max(p.Intensity, 1), 5)
	chordSec := 26 - 3*float64(in)
	s := &synth{
		total:       frames(p.Length),
		chordFrames: chordSec * SampleRate,
		xfade:       0.6 * chordSec * SampleRate,
		fadeFrames:  float64(frames(fadeTime)),
	}
	pad := padTable(min(r.bright+0.03*float64(in-3), 0.9))
	bass := newTable([]float64{1, 0.12})
	sine := newTable([]float64{1})

	// Spread voicing, as scale steps above the chord's root: root, fifth,
	// tenth, twelfth, fourteenth, sixteenth; the denser, the more of them.
	spread := []int{0, 4, 9, 11, 13, 15}
	padWeights := []float64{1, 0.85, 0.7, 0.6, 0.5, 0.42}
	notes := 3 + (in+1)/2

	type key struct {
		table  *wavetable
		degree int
	}
	index := map[key]*voice{}
	add := func(chord int, k key, weight, cents, depth float64) {
		v, ok := index[k]
		if !ok {
			f := 440 * math.Pow(2, float64(midi(r, k.degree)-69)/12)
			n := len(s.voices)
			v = &voice{
				table:    k.table,
				incUp:    increment(f * math.Pow(2, cents/1200)),
				incDown:  increment(f * math.Pow(2, -cents/1200)),
				near:     0.68,
				far:      0.32,
				weights:  make([]float64, len(r.chords)),
				lfoRate:  2 * math.Pi * r.lfoHz * (1 + 0.23*float64(n%5)) / SampleRate,
				lfoPhase: 2 * math.Pi * math.Mod(float64(n)*0.618034, 1),
				depth:    depth,
			}
			if k.table == bass {
				v.near, v.far = 0.5, 0.5
			}
			index[k] = v
			s.voices = append(s.voices, v)
		}
		v.weights[chord] += weight
	}
	loudest := 0.0
	for c, degree := range r.chords {
		root := degree
		if root >= 4 {
			root -= 7 // keep the progression's roots near the tonic
		}
		sum := 0.0
		for j := range notes {
			add(c, key{pad, root + spread[j]}, padWeights[j], 3+float64(in), 0.45)
			sum += padWeights[j]
		}
		add(c, key{bass, root - 7}, 0.9, 1, 0.2)
		sum += 0.9
		if in >= 3 {
			w := 0.1 * float64(in-2)
			add(c, key{sine, root + 14}, w, 2, 0.6)
			sum += w
		}
		loudest = max(loudest, sum)
	}
	s.scale = headroom / loudest
	for _, v := range s.voices {
		v.gain = s.gainAt(v, 0)
	}
	return s
}

// midi is the MIDI note of a scale degree (0 = the tonic; 7 an octave up).
func midi(r recipe, degree int) int {
	oct, step := degree/7, degree%7
	if step < 0 {
		oct, step = oct-1, step+7
	}
	return r.root + 12*oct + r.mode[step]
}

// increment is the phase increment per frame of frequency f.
func increment(f float64) uint32 {
	return uint32(math.Round(f / SampleRate * (1 << 32)))
}

// rise is a raised-cosine step from 0 (u ≤ 0) to 1 (u ≥ 1).
func rise(u float64) float64 {
	switch {
	case u <= 0:
		return 0
	case u >= 1:
		return 1
	}
	return 0.5 - 0.5*math.Cos(math.Pi*u)
}

// chordWeight is how much of chord i (counting from the start, the
// progression repeating) sounds at frame t. The weights of all chords sum
// to 1 at every instant: each crossfade is a raised cosine.
func (s *synth) chordWeight(i int64, t float64) float64 {
	in := 1.0
	if i > 0 {
		in = rise((t-float64(i)*s.chordFrames)/s.xfade + 0.5)
	}
	return in - rise((t-float64(i+1)*s.chordFrames)/s.xfade+0.5)
}

// gainAt is voice v's gain at frame t: the chords that hold it, its swell,
// and the piece's fade in and out.
func (s *synth) gainAt(v *voice, t int64) float64 {
	edge := float64(min(t, s.total-1-t))
	if edge <= 0 {
		return 0
	}
	fade := 1.0
	if edge < s.fadeFrames {
		fade = math.Sin(0.5 * math.Pi * edge / s.fadeFrames)
		fade *= fade
	}
	x := float64(t)
	k := int64(x / s.chordFrames)
	g := 0.0
	for i := max(k-1, 0); i <= k+1; i++ {
		if w := v.weights[i%int64(len(v.weights))]; w != 0 {
			g += w * s.chordWeight(i, x)
		}
	}
	if g == 0 {
		return 0
	}
	swell := 1 - v.depth*(0.5-0.5*math.Cos(v.lfoRate*x+v.lfoPhase))
	return g * swell * fade * s.scale
}

// render fills l and r (of equal length) with the next frames of the piece
// and returns how many it wrote: fewer than asked only at the end.
func (s *synth) render(l, r []float64) int {
	n := int(min(int64(len(l)), s.total-s.pos))
	clear(l[:n])
	clear(r[:n])
	for done := 0; done < n; {
		// Sub-blocks end on multiples of control, so that gains are the
		// same whatever block size the caller uses.
		at := s.pos + int64(done)
		m := int(min(control-at%control, int64(n-done)))
		end := at - at%control + control
		for _, v := range s.voices {
			g0 := v.gain
			g1 := s.gainAt(v, end)
			if end-at == int64(m) {
				v.gain = g1
			}
			if g0 == 0 && g1 == 0 {
				continue
			}
			v.add(l[done:done+m], r[done:done+m], at, g0, (g1-g0)/control)
		}
		done += m
	}
	s.pos += int64(n)
	return n
}

// add mixes len(l) frames of voice v, starting at frame at, into l and r;
// its gain is g0 at the control point at or before at and moves by dg a
// frame. Phases are a function of the frame
// number, so a voice that falls silent and returns stays in phase, and the
// same pitch in two overlapping chords is one sound.
func (v *voice) add(l, r []float64, at int64, g0, dg float64) {
	t := v.table
	up, down := v.incUp*uint32(at), v.incDown*uint32(at)
	r = r[:len(l)]
	off := float64(at % control)
	for i := range l {
		g := g0 + dg*(off+float64(i))
		iu, id := up>>fracBits, down>>fracBits
		pu, pd := &t[iu], &t[id]
		su := pu[0] + float64(up&fracMask)*fracScale*pu[1]
		sd := pd[0] + float64(down&fracMask)*fracScale*pd[1]
		l[i] += g * (v.near*su + v.far*sd)
		r[i] += g * (v.far*su + v.near*sd)
		up += v.incUp
		down += v.incDown
	}
}
