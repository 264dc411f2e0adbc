package dsp

import (
	"testing"

	"github.com/gopxl/beep/v2"
)

const benchBlock = 1024

// benchStream streams s in blocks of benchBlock frames b.N times and reports
// seconds of 48 kHz stereo audio per CPU-second as "x-realtime".
func benchStream(b *testing.B, s beep.Streamer) {
	b.Helper()
	buf := make([][2]float64, benchBlock)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.Stream(buf)
	}
	b.ReportMetric(float64(b.N*benchBlock)/float64(rate)/b.Elapsed().Seconds(), "x-realtime")
}

func benchSource() beep.Streamer { return loop(noise(7, 48000, 0.5)) }

// BenchmarkSource is the benchmarks' noise source alone, which every other
// figure here includes.
func BenchmarkSource(b *testing.B) {
	benchStream(b, benchSource())
}

func BenchmarkGain_Settled(b *testing.B) {
	g := NewGain(benchSource(), rate)
	g.Reset(-6)
	benchStream(b, g)
}

func BenchmarkGain_Ramping(b *testing.B) {
	g := NewGain(benchSource(), rate)
	g.Reset(-60)
	g.SetTarget(MaxGainDB)
	if err := g.SetSlew(1e-3); err != nil { // ramps for the whole benchmark
		b.Fatal(err)
	}
	benchStream(b, g)
}

func BenchmarkEnvelope_Fading(b *testing.B) {
	e := NewEnvelope(benchSource(), 1)
	e.FadeTo(0, 1<<62) // fades for the whole benchmark
	benchStream(b, e)
}

func BenchmarkEnvelope_Steady(b *testing.B) {
	benchStream(b, NewEnvelope(benchSource(), 0.8))
}

func BenchmarkMeter(b *testing.B) {
	benchStream(b, NewMeter(benchSource(), 4800))
}

func BenchmarkLimiter_Idle(b *testing.B) {
	benchStream(b, newLimiter(b, benchSource()))
}

func BenchmarkLimiter_Limiting(b *testing.B) {
	// Noise peaking 20 dB over the ceiling: limiting all the time.
	benchStream(b, newLimiter(b, loop(noise(8, 48000, DBToGain(19)))))
}

// BenchmarkChain is one item's envelope (fading), the master gain (ramping),
// the limiter and a meter: the per-room DSP of the engine.
func BenchmarkChain(b *testing.B) {
	e := NewEnvelope(benchSource(), 1)
	e.FadeTo(0, 1<<62)
	g := NewGain(e, rate)
	g.Reset(-40)
	g.SetTarget(0)
	if err := g.SetSlew(1e-3); err != nil {
		b.Fatal(err)
	}
	benchStream(b, NewMeter(newLimiter(b, g), 4800))
}

// BenchmarkChain_Steady is the same chain while a track plays on: the
// envelope at a constant gain, the master gain settled, the limiter idle,
// a settled output trim at 0 dB and the meter.
func BenchmarkChain_Steady(b *testing.B) {
	e := NewEnvelope(benchSource(), 1)
	g := NewGain(e, rate)
	g.Reset(-6)
	trim := NewGain(newLimiter(b, g), rate)
	trim.Reset(0)
	benchStream(b, NewMeter(trim, 4800))
}

func TestStages_NoAllocs(t *testing.T) {
	e := NewEnvelope(benchSource(), 0)
	g := NewGain(e, rate)
	l := newLimiter(t, g)
	m := NewMeter(l, 4800)
	buf := make([][2]float64, benchBlock)
	steps := []func(){
		func() { e.FadeTo(1, 4800); g.SetTarget(0) },
		func() { e.Pause(2000) },
		func() { e.Resume(3000); e.FadeAt(e.Position()+1000, 0.5, 5000) },
		func() { g.SetTarget(-30) },
	}
	for _, step := range steps {
		step()
		if n := testing.AllocsPerRun(20, func() { m.Stream(buf) }); n != 0 {
			t.Errorf("Stream allocates %v times per call, want 0", n)
		}
	}
}
