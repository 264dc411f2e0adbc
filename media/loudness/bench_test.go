package loudness

import (
	"math/rand/v2"
	"testing"
)

// noise is seconds of stereo noise at rate, interleaved: no group of it is
// far below the peak, the worst case for the true-peak skipping.
func noise(rate int, seconds float64) []float64 {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]float64, 2*int(seconds*float64(rate)))
	for i := range out {
		out[i] = r.Float64()*1.6 - 0.8
	}
	return out
}

// BenchmarkMeter_Add measures PCM already in memory: "x-realtime" is
// seconds of audio per second of CPU.
func BenchmarkMeter_Add(b *testing.B) {
	for _, c := range []struct {
		name string
		rate int
		pcm  []float64
	}{
		{"noise-44k", 44100, noise(44100, 10)},
		{"noise-48k", 48000, noise(48000, 10)},
		{"sine-44k", 44100, sine(44100, 2, 997, -1, 10, 0)},
	} {
		b.Run(c.name, func(b *testing.B) {
			m := mustMeter(b, c.rate, 2)
			b.ReportAllocs()
			for b.Loop() {
				m.Add(c.pcm)
			}
			b.ReportMetric(float64(b.N)*float64(len(c.pcm)/2)/float64(c.rate)/b.Elapsed().Seconds(), "x-realtime")
		})
	}
}
