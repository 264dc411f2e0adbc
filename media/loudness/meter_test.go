package loudness

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestNew_Layouts(t *testing.T) {
	for _, c := range []struct {
		channels int
		ok       bool
	}{{0, false}, {1, true}, {2, true}, {5, true}, {6, true}, {7, false}} {
		_, err := New(48000, c.channels)
		if (err == nil) != c.ok {
			t.Errorf("New(48000, %d) error = %v, want ok %v", c.channels, err, c.ok)
		}
	}
	for _, rate := range []int{0, 4000, 1000000} {
		if _, err := New(rate, 2); err == nil {
			t.Errorf("New(%d, 2) = nil error, want one", rate)
		}
	}
	if _, err := NewWeighted(48000, []float64{1, math.NaN()}); err == nil {
		t.Errorf("NewWeighted with a NaN weight = nil error, want one")
	}
}

func TestMeter_Silence(t *testing.T) {
	for _, c := range []struct {
		name        string
		pcm         []float64
		samplePeak  float64 // dBFS; -Inf for digital silence
		wantSilence bool
	}{
		{"digital silence", make([]float64, 2*48000*2), math.Inf(-1), true},
		{"-80 dBFS sine", sine(48000, 2, 1000, -80, 2, math.Pi/2), -80, true},
		{"0.3 s of -20 dBFS", sine(48000, 2, 1000, -20, 0.3, math.Pi/2), -20, true},
		{"0.5 s of -20 dBFS", sine(48000, 2, 1000, -20, 0.5, math.Pi/2), -20, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := mustMeter(t, 48000, 2)
			m.Add(c.pcm)
			r := m.Result()
			if r.Silent != c.wantSilence {
				t.Errorf("Silent = %v, want %v (Integrated %v)", r.Silent, c.wantSilence, r.Integrated)
			}
			if r.Silent && !math.IsInf(r.Integrated, -1) {
				t.Errorf("Integrated = %v when silent, want -Inf", r.Integrated)
			}
			if !(math.Abs(r.SamplePeak-c.samplePeak) < 0.01) && r.SamplePeak != c.samplePeak {
				t.Errorf("SamplePeak = %v dBFS, want %v", r.SamplePeak, c.samplePeak)
			}
			if r.Frames != int64(len(c.pcm)/2) {
				t.Errorf("Frames = %d, want %d", r.Frames, len(c.pcm)/2)
			}
		})
	}
}

// same says whether two results agree but for the rounding of sums taken in
// a different order (blocks split differently add their energy so).
func same(a, b Result) bool {
	near := func(x, y float64) bool { return x == y || math.Abs(x-y) < 1e-9 }
	return near(a.Integrated, b.Integrated) && near(a.Range, b.Range) && a.SamplePeak == b.SamplePeak &&
		a.TruePeak == b.TruePeak && a.Silent == b.Silent && a.Frames == b.Frames
}

// Feeding the same samples in blocks of any size measures the same.
func TestMeter_BlockSizesAgree(t *testing.T) {
	pcm := fade(noise(44100, 3.5), 44100, 2)
	whole := mustMeter(t, 44100, 2)
	whole.Add(pcm)
	want := whole.Result()
	r := rand.New(rand.NewPCG(3, 4))
	pieces := mustMeter(t, 44100, 2)
	for rest := pcm; len(rest) > 0; {
		n := min(len(rest)/2, 1+r.IntN(9000))
		pieces.Add(rest[:2*n])
		rest = rest[2*n:]
	}
	if got := pieces.Result(); !same(got, want) {
		t.Errorf("in random blocks: %+v\nwant (one block)  %+v", got, want)
	}
	frames := make([][2]float64, len(pcm)/2)
	for i := range frames {
		frames[i] = [2]float64{pcm[2*i], pcm[2*i+1]}
	}
	viaFrames := mustMeter(t, 44100, 2)
	viaFrames.AddFrames(frames)
	if got := viaFrames.Result(); !same(got, want) {
		t.Errorf("AddFrames: %+v\nwant (Add)  %+v", got, want)
	}
}

// A mono Meter given frames takes the left channel, as decode copies mono to
// both; mono reads 3 dB below the same signal in two channels.
func TestMeter_AddFramesMono(t *testing.T) {
	pcm := sine(48000, 1, 1000, -20, 3, 0)
	frames := make([][2]float64, len(pcm))
	for i, v := range pcm {
		frames[i] = [2]float64{v, 0.9}
	}
	mono := loudnessMeter(t, 48000, 1)
	mono.AddFrames(frames)
	stereo := loudnessMeter(t, 48000, 2)
	stereo.Add(sine(48000, 2, 1000, -20, 3, 0))
	got, want := mono.Result().Integrated, stereo.Result().Integrated-10*math.Log10(2)
	if math.Abs(got-want) > 0.001 {
		t.Errorf("mono Integrated = %.4f LUFS, want %.4f (stereo − 3.01 dB)", got, want)
	}
}

// Channel weights: a sine in a surround channel reads 10·log10(1.41) dB
// above the same sine in a front channel; the LFE does not count.
func TestMeter_ChannelWeights(t *testing.T) {
	one := sine(48000, 1, 1000, -20, 3, 0)
	in := func(channel int) Result {
		m := loudnessMeter(t, 48000, 6) // L R C LFE Ls Rs
		pcm := make([]float64, 6*len(one))
		for i, v := range one {
			pcm[6*i+channel] = v
		}
		m.Add(pcm)
		return m.Result()
	}
	left, ls, lfe := in(0), in(4), in(3)
	if got, want := ls.Integrated-left.Integrated, 10*math.Log10(Surround); math.Abs(got-want) > 0.001 {
		t.Errorf("Ls reads %.4f dB above L, want %.4f", got, want)
	}
	if !lfe.Silent || math.Abs(lfe.SamplePeak-(-20)) > 0.01 {
		t.Errorf("LFE only: Silent %v, SamplePeak %.2f; want silent, and its peak (-20 dBFS) counted", lfe.Silent, lfe.SamplePeak)
	}
}

// At a rate that is no multiple of 10 Hz, 100 ms segments are not whole
// frames; the measurement must not drift.
func TestMeter_OddRate(t *testing.T) {
	m := loudnessMeter(t, 11025, 2)
	m.Add(sequence(11025, segment{-20, 20}, segment{-30, 20}))
	r := m.Result()
	if math.Abs(r.Range-10) > 1 {
		t.Errorf("Range = %.3f LU, want 10 ±1", r.Range)
	}
	m = loudnessMeter(t, 11025, 2)
	m.Add(sequence(11025, segment{-23, 20}))
	if r := m.Result(); math.Abs(r.Integrated-(-23)) > 0.1 {
		t.Errorf("Integrated = %.3f LUFS, want -23 ±0.1", r.Integrated)
	}
}

// Result can be read mid-stream without disturbing what follows.
func TestMeter_ResultMidStream(t *testing.T) {
	pcm := fade(noise(48000, 3.5), 48000, 2)
	a, b := mustMeter(t, 48000, 2), mustMeter(t, 48000, 2)
	a.Add(pcm[:len(pcm)/2])
	_ = a.Result()
	a.Add(pcm[len(pcm)/2:])
	b.Add(pcm)
	if got, want := a.Result(), b.Result(); !same(got, want) {
		t.Errorf("after a mid-stream Result: %+v\nwant %+v", got, want)
	}
}

// True peak of sines at any phase, up to 0.35 of the sample rate, at the
// rates the library meets: within Tech 3341's +0.2/−0.4 dB. (Above, the
// oversampled grid itself can miss the crest by more: 0.44 dB at 0.4·fs
// with 4×; see docs/loudness.md.)
func TestMeter_TruePeakSines(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, rate := range []int{22050, 32000, 44100, 48000, 96000} {
		for _, rel := range []float64{0.01, 0.1, 0.2, 0.25, 0.3, 0.35} {
			freq := rel*float64(rate) + r.Float64()
			t.Run(fmt.Sprintf("%d/%.0fHz", rate, freq), func(t *testing.T) {
				m := mustMeter(t, rate, 1)
				m.Add(fade(sine(rate, 1, freq, -3, 0.2, 2*math.Pi*r.Float64()), rate, 1))
				res := m.Result()
				if res.TruePeak < -3.4 || res.TruePeak > -2.8 {
					t.Errorf("TruePeak = %.3f dBTP, want -3 +0.2/-0.4", res.TruePeak)
				}
				if res.TruePeak < res.SamplePeak {
					t.Errorf("TruePeak %.3f < SamplePeak %.3f", res.TruePeak, res.SamplePeak)
				}
			})
		}
	}
}

// Skipping positions whose bound is below the running peak changes nothing:
// on signals with loud and quiet stretches (where it skips most), scan finds
// exactly what filtering every position finds.
func TestTruePeak_SkipIsExact(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, rate := range []int{44100, 48000, 22050} {
		tp := newTruePeak(rate)
		for trial := range 20 {
			n := 2000 + r.IntN(3000)
			buf := make([]float64, tapsPerPhase-1+n)
			level := 1.0
			for i := range buf {
				if i%500 == 0 {
					level = math.Pow(10, -3*r.Float64()) // 0 to -60 dB
				}
				buf[i] = level * (2*r.Float64() - 1)
			}
			start := r.Float64() * 0.5
			gmax := make([]float64, len(buf)/groupSize+1)
			got := tp.scan(buf, n, start, gmax)
			want := tp.scanAll(buf, n, start)
			if got != want {
				t.Errorf("%d Hz trial %d: scan = %v, want %v (no skipping)", rate, trial, got, want)
			}
		}
	}
}

func TestOversampling(t *testing.T) {
	for rate, want := range map[int]int{22050: 9, 32000: 6, 44100: 5, 48000: 4, 96000: 4, 192000: 4} {
		if got := oversampling(rate); got != want {
			t.Errorf("oversampling(%d) = %d, want %d", rate, got, want)
		}
	}
}
