package dsp

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gopxl/beep/v2"
)

const rate = beep.SampleRate(48000)

// sine returns an endless stereo sine at freq Hz and amplitude amp.
func sine(freq, amp float64) beep.Streamer {
	var i int64
	w := 2 * math.Pi * freq / float64(rate)
	return beep.StreamerFunc(func(samples [][2]float64) (int, bool) {
		for k := range samples {
			v := amp * math.Sin(w*float64(i))
			samples[k] = [2]float64{v, v}
			i++
		}
		return len(samples), true
	})
}

// sineStep returns the largest sample-to-sample step of a sine at freq Hz and
// amplitude amp: the music's own step that no transition may exceed.
func sineStep(freq, amp float64) float64 {
	return 2 * math.Pi * freq / float64(rate) * amp
}

// dc returns an endless constant signal of value v on both channels, so a
// stage's output is its gain times v.
func dc(v float64) beep.Streamer {
	return beep.StreamerFunc(func(samples [][2]float64) (int, bool) {
		for k := range samples {
			samples[k] = [2]float64{v, v}
		}
		return len(samples), true
	})
}

// indexed is an endless source whose sample i is {i+1, 1}, so the source
// position of any output sample with a non-zero gain is left/right − 1.
type indexed struct{ pulled int64 }

func (s *indexed) Stream(samples [][2]float64) (int, bool) {
	for k := range samples {
		s.pulled++
		samples[k] = [2]float64{float64(s.pulled), 1}
	}
	return len(samples), true
}

func (s *indexed) Err() error { return nil }

// sourceIndex returns the source position of output sample v (gain > 0).
func sourceIndex(v [2]float64) int64 {
	return int64(math.Round(v[0]/v[1])) - 1
}

// noise returns n frames of uniform white noise with peak amp, independent
// on each channel, from a fixed seed.
func noise(seed uint64, n int, amp float64) [][2]float64 {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	buf := make([][2]float64, n)
	for i := range buf {
		buf[i] = [2]float64{amp * (2*r.Float64() - 1), amp * (2*r.Float64() - 1)}
	}
	return buf
}

// slice streams buf once and drains.
func slice(buf [][2]float64) beep.Streamer {
	pos := 0
	return beep.StreamerFunc(func(samples [][2]float64) (int, bool) {
		if pos >= len(buf) {
			return 0, false
		}
		n := copy(samples, buf[pos:])
		pos += n
		return n, true
	})
}

// loop streams buf over and over, endlessly.
func loop(buf [][2]float64) beep.Streamer {
	pos := 0
	return beep.StreamerFunc(func(samples [][2]float64) (int, bool) {
		for k := range samples {
			samples[k] = buf[pos]
			if pos++; pos == len(buf) {
				pos = 0
			}
		}
		return len(samples), true
	})
}

// collect reads n frames from s in blocks of block frames; it stops early if
// s drains.
func collect(tb testing.TB, s beep.Streamer, n, block int) [][2]float64 {
	tb.Helper()
	out := make([][2]float64, 0, n)
	buf := make([][2]float64, block)
	for len(out) < n {
		got, ok := s.Stream(buf[:min(block, n-len(out))])
		out = append(out, buf[:got]...)
		if !ok || got == 0 {
			break
		}
	}
	if err := s.Err(); err != nil {
		tb.Fatalf("stream error: %v", err)
	}
	return out
}

// maxStep returns the largest sample-to-sample change on either channel of
// buf, and where it is.
func maxStep(buf [][2]float64) (step float64, at int) {
	for i := 1; i < len(buf); i++ {
		for c := range 2 {
			if d := math.Abs(buf[i][c] - buf[i-1][c]); d > step {
				step, at = d, i
			}
		}
	}
	return step, at
}

// peak returns the largest absolute sample of buf.
func peak(buf [][2]float64) float64 {
	var p float64
	for _, s := range buf {
		p = max(p, math.Abs(s[0]), math.Abs(s[1]))
	}
	return p
}

// rms returns the RMS over both channels of buf.
func rms(buf [][2]float64) float64 {
	var sum float64
	for _, s := range buf {
		sum += s[0]*s[0] + s[1]*s[1]
	}
	return math.Sqrt(sum / float64(2*len(buf)))
}
