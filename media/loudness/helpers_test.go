package loudness

import (
	"math"
	"testing"
)

// mustMeter is New or the test's end.
func mustMeter(tb testing.TB, rate, channels int) *Meter {
	tb.Helper()
	m, err := New(rate, channels)
	if err != nil {
		tb.Fatalf("New(%d, %d): %v", rate, channels, err)
	}
	return m
}

// loudnessMeter is a Meter that skips the true peak, for the tests of
// loudness on minutes of sines, which the true peak would slow tenfold
// (every stretch of a steady sine is near its peak, so none is skipped).
func loudnessMeter(tb testing.TB, rate, channels int) *Meter {
	tb.Helper()
	m := mustMeter(tb, rate, channels)
	m.tp = nil
	return m
}

// fade ramps the first and last 10 ms of interleaved x in and out (raised
// cosine). An abrupt start or end is a step, whose band-limited
// reconstruction overshoots: a true-peak meter rightly reads it above the
// sine's amplitude, which is not what the Tech 3341 cases test.
func fade(x []float64, rate, channels int) []float64 {
	n := len(x) / channels
	ramp := rate / 100
	for i := range ramp {
		g := 0.5 - 0.5*math.Cos(math.Pi*float64(i)/float64(ramp))
		for c := range channels {
			x[i*channels+c] *= g
			x[(n-1-i)*channels+c] *= g
		}
	}
	return x
}

// sine renders seconds of a sine of freq Hz, amplitude dBFS (0 dBFS is a
// full-scale sine) and starting phase (radians), the same in each of channels
// interleaved channels.
func sine(rate, channels int, freq, dBFS, seconds, phase float64) []float64 {
	n := int(math.Round(seconds * float64(rate)))
	a := math.Pow(10, dBFS/20)
	out := make([]float64, n*channels)
	for i := range n {
		v := a * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)+phase)
		for c := range channels {
			out[i*channels+c] = v
		}
	}
	return out
}

// segment is one stretch of a test sequence: a 1 kHz stereo sine.
type segment struct {
	dBFS, seconds float64
}

// sequence renders EBU test sequences: 1 kHz stereo sines at the levels and
// for the durations of segs, back to back (phase-continuous).
func sequence(rate int, segs ...segment) []float64 {
	total := 0
	for _, s := range segs {
		total += int(math.Round(s.seconds * float64(rate)))
	}
	out := make([]float64, 0, 2*total)
	var i int
	for _, s := range segs {
		a := math.Pow(10, s.dBFS/20)
		for range int(math.Round(s.seconds * float64(rate))) {
			v := a * math.Sin(2*math.Pi*1000*float64(i)/float64(rate))
			out = append(out, v, v)
			i++
		}
	}
	return out
}
