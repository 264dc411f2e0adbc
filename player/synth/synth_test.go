package synth

import (
	"math"
	"testing"
)

const rate = 48000

func render(t testing.TB, k Kind, n int) [][2]float64 {
	t.Helper()
	s, err := New(k, rate)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][2]float64, n)
	for i := 0; i < n; i += 1000 {
		if got, ok := s.Stream(out[i:min(i+1000, n)]); !ok || got != min(1000, n-i) {
			t.Fatalf("Stream returned %d, %v", got, ok)
		}
	}
	return out
}

func rmsDB(x [][2]float64, c int) float64 {
	var sum float64
	for _, v := range x {
		sum += v[c] * v[c]
	}
	return 10 * math.Log10(sum/float64(len(x)))
}

func TestSource_level(t *testing.T) {
	for _, k := range []Kind{BrownNoise, PinkNoise, Drone} {
		// 60 s: the drone's slowest swell is 37 s long.
		x := render(t, k, 60*rate)
		for c := range 2 {
			if got := rmsDB(x, c); math.Abs(got-Level) > 1 {
				t.Errorf("%s channel %d: RMS %.2f dBFS, want %.1f ±1", k, c, got, Level)
			}
		}
		var peak float64
		for _, v := range x {
			peak = max(peak, math.Abs(v[0]), math.Abs(v[1]))
		}
		if peakDB := 20 * math.Log10(peak); peakDB > -12 {
			t.Errorf("%s: peak %.1f dBFS, want under −12 (a soundscape must never be loud)", k, peakDB)
		}
	}
}

// bandPower is the mean power of channel 0 between lo and hi Hz, from a
// Hann-windowed DFT over consecutive windows.
func bandPower(x [][2]float64, lo, hi float64) float64 {
	const n = 4096
	var sum float64
	var count int
	for start := 0; start+n <= len(x); start += n {
		for k := int(lo * n / rate); k <= int(hi*n/rate); k++ {
			var re, im float64
			for i := range n {
				w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/n)
				a := 2 * math.Pi * float64(k) * float64(i) / n
				re += w * x[start+i][0] * math.Cos(a)
				im -= w * x[start+i][0] * math.Sin(a)
			}
			sum += re*re + im*im
			count++
		}
	}
	return sum / float64(count)
}

// Brown noise falls 6 dB per octave, pink 3 dB: measured between the
// octaves at 200–400 Hz and 1.6–3.2 kHz, three octaves apart.
func TestSource_spectrum(t *testing.T) {
	for _, tc := range []struct {
		k    Kind
		want float64 // dB between the octaves
	}{{BrownNoise, 18}, {PinkNoise, 9}} {
		x := render(t, tc.k, 16*4096)
		low := bandPower(x, 200, 400) / 200 // per Hz
		high := bandPower(x, 1600, 3200) / 1600
		got := 10 * math.Log10(low/high)
		// Per-Hz density ratio is the octave-band ratio plus 9 dB (8× the
		// bandwidth): white noise would give 0 here.
		if math.Abs(got-tc.want-9) > 2 {
			t.Errorf("%s: density falls %.1f dB over three octaves, want %.0f ±2", tc.k, got, tc.want+9)
		}
	}
}

func TestSource_Seek(t *testing.T) {
	for _, k := range []Kind{BrownNoise, PinkNoise, Drone} {
		ref := render(t, k, 100000)
		s, _ := New(k, rate)
		for _, p := range []int{0, 1, 999, 30000, 77777} {
			if err := s.Seek(p); err != nil {
				t.Fatal(err)
			}
			got := make([][2]float64, 500)
			s.Stream(got)
			for i := range got {
				for c := range 2 {
					if d := math.Abs(got[i][c] - ref[p+i][c]); d > 1e-9 {
						t.Fatalf("%s seek %d: sample %d channel %d differs by %g", k, p, i, c, d)
					}
				}
			}
		}
		if err := s.Seek(-1); err == nil {
			t.Errorf("%s: seek to −1: got nil error", k)
		}
	}
}

// A soundscape is smooth: its largest sample-to-sample step is small next
// to its level (white noise at the same RMS would step by ~4× its RMS).
func TestSource_smooth(t *testing.T) {
	for _, k := range []Kind{BrownNoise, Drone} {
		x := render(t, k, 10*rate)
		var step float64
		for i := 1; i < len(x); i++ {
			step = max(step, math.Abs(x[i][0]-x[i-1][0]))
		}
		rms := math.Pow(10, Level/20)
		if step > 0.5*rms {
			t.Errorf("%s: largest step %.2g, want under half the RMS %.2g", k, step, rms)
		}
	}
}

func TestSource_Stream_allocs(t *testing.T) {
	for _, k := range []Kind{BrownNoise, PinkNoise, Drone} {
		s, _ := New(k, rate)
		buf := make([][2]float64, 480)
		if n := testing.AllocsPerRun(100, func() { s.Stream(buf) }); n != 0 {
			t.Errorf("%s: %v allocations per Stream, want 0", k, n)
		}
	}
}

func TestParse(t *testing.T) {
	for track, want := range map[string]Kind{"synth:pink-noise": PinkNoise, "synth:drone": Drone, Track(BrownNoise): BrownNoise} {
		if got, ok := Parse(track); !ok || got != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", track, got, ok, want)
		}
	}
	for _, track := range []string{"pink-noise", "synth:white-noise", "abc123", ""} {
		if k, ok := Parse(track); ok {
			t.Errorf("Parse(%q) = %q, true; want false", track, k)
		}
	}
	if _, err := New("white-noise", rate); err == nil {
		t.Error("New(white-noise): got nil error")
	}
}

func BenchmarkSource(b *testing.B) {
	for _, k := range []Kind{BrownNoise, PinkNoise, Drone} {
		b.Run(string(k), func(b *testing.B) {
			s, _ := New(k, rate)
			buf := make([][2]float64, 480)
			b.ReportAllocs()
			for b.Loop() {
				s.Stream(buf)
			}
			b.ReportMetric(float64(len(buf))/rate*float64(b.N)/b.Elapsed().Seconds(), "x-realtime")
		})
	}
}
