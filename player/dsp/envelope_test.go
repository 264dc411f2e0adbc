package dsp

import (
	"math"
	"testing"

	"github.com/gopxl/beep/v2"
)

// checkMonotonic fails unless the left channel of out[from:to] moves from
// its first value toward want without ever turning back.
func checkMonotonic(t *testing.T, out [][2]float64, from, to int, rising bool) {
	t.Helper()
	for i := from + 1; i < to; i++ {
		if d := out[i][0] - out[i-1][0]; (rising && d < 0) || (!rising && d > 0) {
			t.Fatalf("sample %d: %g after %g, want a monotonic fade (rising %v)", i, out[i][0], out[i-1][0], rising)
		}
	}
}

func TestEnvelope_FadeAtExactSamples(t *testing.T) {
	const at, n = 1000, 480
	for _, block := range []int{1, 7, 512, 4096} {
		e := NewEnvelope(dc(1), 1)
		e.FadeAt(at, 0, n)
		out := collect(t, e, 3000, block)
		if out[at-1][0] != 1 {
			t.Errorf("block %d: sample %d = %g, want 1 (before the fade)", block, at-1, out[at-1][0])
		}
		if out[at][0] >= 1 {
			t.Errorf("block %d: sample %d = %g, want below 1 (the fade's first sample)", block, at, out[at][0])
		}
		if out[at+n-2][0] <= 0 {
			t.Errorf("block %d: sample %d = %g, want above 0 (before the fade's last sample)", block, at+n-2, out[at+n-2][0])
		}
		for i := at + n - 1; i < len(out); i++ {
			if out[i][0] != 0 {
				t.Fatalf("block %d: sample %d = %g, want 0 from the fade's last sample on", block, i, out[i][0])
			}
		}
		checkMonotonic(t, out, at, at+n, false)
		if e.Fading() || e.Gain() != 0 || e.Position() != 3000 {
			t.Errorf("block %d: Fading %v Gain %v Position %v, want false 0 3000", block, e.Fading(), e.Gain(), e.Position())
		}
	}
}

func TestEnvelope_FadeInFromSilence(t *testing.T) {
	const n = 96000
	e := NewEnvelope(dc(1), 0)
	e.FadeTo(1, n)
	out := collect(t, e, n+100, 1000)
	if out[0][0] <= 0 || out[0][0] > 1e-4 {
		t.Errorf("first sample %g, want just above 0", out[0][0])
	}
	if out[n-1][0] != 1 || out[n-2][0] >= 1 {
		t.Errorf("samples %d, %d = %g, %g; want <1 then exactly 1", n-2, n-1, out[n-2][0], out[n-1][0])
	}
	checkMonotonic(t, out, 0, n, true)
	// Equal power: halfway through, the gain is sin(π/4).
	if got, want := out[n/2-1][0], math.Sqrt(0.5); math.Abs(got-want) > 1e-12 {
		t.Errorf("gain halfway = %.15f, want %.15f", got, want)
	}
}

func TestEnvelope_FadeBetweenLevels(t *testing.T) {
	for _, tc := range []struct{ from, to float64 }{{0.3, 0.8}, {0.8, 0.3}, {2, 0.5}} {
		e := NewEnvelope(dc(1), tc.from)
		e.FadeTo(tc.to, 1000)
		out := collect(t, e, 1200, 256)
		checkMonotonic(t, out, 0, 1200, tc.to > tc.from)
		if out[999][0] != tc.to || out[1199][0] != tc.to {
			t.Errorf("%v→%v: end %g, %g; want exactly %v", tc.from, tc.to, out[999][0], out[1199][0], tc.to)
		}
	}
}

func TestEnvelope_CrossfadeConstantPower(t *testing.T) {
	// Gains: the two sides' squares sum to 1 on every sample.
	const at, n = 500, 4800
	a, b := NewEnvelope(dc(1), 1), NewEnvelope(dc(1), 0)
	a.FadeAt(at, 0, n)
	b.FadeAt(at, 1, n)
	ga, gb := collect(t, a, 6000, 512), collect(t, b, 6000, 512)
	for i := range ga {
		if p := ga[i][0]*ga[i][0] + gb[i][0]*gb[i][0]; math.Abs(p-1) > 1e-12 {
			t.Fatalf("sample %d: power sum %.15f, want 1", i, p)
		}
	}

	// Uncorrelated noises: the mix's RMS stays within ±1 dB.
	const long = 4 * 48000
	na, nb := noise(1, long+96000, 0.5), noise(2, long+96000, 0.5)
	a, b = NewEnvelope(slice(na), 1), NewEnvelope(slice(nb), 0)
	a.FadeAt(48000, 0, long)
	b.FadeAt(48000, 1, long)
	mix := collect(t, beep.Mix(a, b), long+96000, 1024)
	ref := rms(na)
	worst := 0.0
	for i := 0; i+4800 <= len(mix); i += 4800 {
		d := GainToDB(rms(mix[i:i+4800]) / ref)
		worst = max(worst, math.Abs(d))
	}
	if worst > 1 {
		t.Errorf("RMS through the crossfade deviates %.2f dB, want within ±1 dB", worst)
	}
	t.Logf("crossfade RMS deviation (100 ms blocks): max %.3f dB", worst)
}

func TestEnvelope_PauseResumeSamePosition(t *testing.T) {
	src := &indexed{}
	e := NewEnvelope(src, 1)
	out := collect(t, e, 10000, 512)
	e.Pause(4800)
	if !e.Paused() || e.Held() {
		t.Fatalf("after Pause: Paused %v Held %v, want true false", e.Paused(), e.Held())
	}
	out = append(out, collect(t, e, 4800, 512)...)
	if !e.Held() {
		t.Fatalf("after the pause fade: Held false, want true")
	}
	held := e.Position()
	if held != 14800 || src.pulled != 14800 {
		t.Fatalf("held at position %d (pulled %d), want 14800", held, src.pulled)
	}
	if out[len(out)-1] != [2]float64{} {
		t.Errorf("last sample of the pause fade %v, want silence", out[len(out)-1])
	}
	silence := collect(t, e, 20000, 512)
	if peak(silence) != 0 || src.pulled != held || e.Position() != held {
		t.Fatalf("while held: peak %g, pulled %d, position %d; want 0, %d, %d", peak(silence), src.pulled, e.Position(), held, held)
	}
	e.Resume(4800)
	after := collect(t, e, 6000, 512)
	if got := sourceIndex(after[0]); got != held {
		t.Errorf("first sample after resume is source sample %d, want %d", got, held)
	}
	for i := range after {
		if got := sourceIndex(after[i]); got != held+int64(i) {
			t.Fatalf("sample %d after resume is source sample %d, want %d", i, got, held+int64(i))
		}
	}
	if e.Paused() || e.Gain() != 1 {
		t.Errorf("after resume fade: Paused %v Gain %v, want false 1", e.Paused(), e.Gain())
	}
}

func TestEnvelope_PauseResumeNoClick(t *testing.T) {
	const f, amp = 440.0, 0.9
	e := NewEnvelope(sine(f, amp), 0)
	e.FadeTo(1, 96000)
	out := collect(t, e, 48000, 512)
	e.Pause(96000) // in the middle of the fade-in
	out = append(out, collect(t, e, 48000, 512)...)
	e.Resume(96000) // in the middle of the pause fade
	out = append(out, collect(t, e, 24000, 512)...)
	e.Pause(100)
	out = append(out, collect(t, e, 48000, 512)...)
	e.Resume(96000)
	out = append(out, collect(t, e, 96000, 512)...)
	e.FadeTo(0.2, 48000)
	out = append(out, collect(t, e, 24000, 512)...)
	e.FadeTo(0, 4800)
	out = append(out, collect(t, e, 24000, 512)...)
	step, at := maxStep(out)
	if want := sineStep(f, amp); step > want {
		t.Errorf("max step %g at sample %d, want ≤ the sine's own %g", step, at, want)
	}
	t.Logf("max step %.5f, sine's own %.5f", step, sineStep(f, amp))
}

func TestEnvelope_FadeAtWhilePaused(t *testing.T) {
	e := NewEnvelope(dc(1), 1)
	e.FadeAt(2000, 0, 1000)
	_ = collect(t, e, 1000, 512)
	e.Pause(480)
	_ = collect(t, e, 5000, 512)
	if e.Position() != 1480 || !e.Held() {
		t.Fatalf("position %d held %v, want 1480 true", e.Position(), e.Held())
	}
	e.Resume(480)
	out := collect(t, e, 3000, 512)
	// Resume fade over [1480, 1960), flat to 2000, scheduled fade [2000, 3000).
	if got := out[1999-1480][0]; got != 1 {
		t.Errorf("gain at position 1999 = %g, want 1", got)
	}
	if got := out[2999-1480][0]; got != 0 {
		t.Errorf("gain at position 2999 = %g, want 0", got)
	}
	checkMonotonic(t, out, 2000-1480, 3000-1480, false)
}

func TestEnvelope_Drains(t *testing.T) {
	e := NewEnvelope(slice(noise(3, 700, 0.5)), 0)
	e.FadeTo(1, 300)
	buf := make([][2]float64, 512)
	if n, ok := e.Stream(buf); n != 512 || !ok {
		t.Errorf("first Stream = %d, %v; want 512, true", n, ok)
	}
	if n, ok := e.Stream(buf); n != 188 || !ok {
		t.Errorf("second Stream = %d, %v; want 188, true", n, ok)
	}
	if n, ok := e.Stream(buf); n != 0 || ok {
		t.Errorf("third Stream = %d, %v; want 0, false", n, ok)
	}
}

func TestEnvelope_BadGains(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{{math.NaN(), 0}, {-1, 0}, {1e9, DBToGain(MaxGainDB)}} {
		if got := NewEnvelope(dc(1), tc.in).Gain(); got != tc.want {
			t.Errorf("NewEnvelope(gain %v).Gain() = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// Every sample of a fade has the gain of the documented curve,
// sqrt(A² + (B² − A²)·sin²(π/2 · (k+1)/N)), to 1e-12, however the samples are
// split into blocks, and the fade stays monotonic even where a long fade's
// curve is flattest.
func TestEnvelope_FadeFollowsCurve(t *testing.T) {
	for _, tc := range []struct {
		from, to float64
		n        int64
		block    int
	}{
		{0, 1, 96000, 1024}, {1, 0, 96000, 333}, {0.3, 0.8, 1000, 1}, {2, 0.5, 100, 7},
		{0, 1, 1, 512}, {0.5, 0.5, 300, 64}, {1, 0, 48000 * 120, 4096},
	} {
		e := NewEnvelope(dc(1), tc.from)
		e.FadeTo(tc.to, tc.n)
		n := int(min(tc.n, 200_000))
		out := collect(t, e, n, tc.block)
		worst := 0.0
		for k := range n {
			s, c := math.Sincos(math.Pi / 2 * float64(k+1) / float64(tc.n))
			a2, b2 := tc.from*tc.from, tc.to*tc.to
			want := math.Sqrt(a2 + (b2-a2)*s*s)
			if tc.to < tc.from { // the same curve, without cancellation
				want = math.Sqrt(b2 + (a2-b2)*c*c)
			}
			if int64(k) == tc.n-1 {
				want = tc.to
			}
			worst = max(worst, math.Abs(out[k][0]-want))
		}
		t.Logf("%v → %v over %d: off the curve by at most %.2g", tc.from, tc.to, tc.n, worst)
		if worst > 1e-12 {
			t.Errorf("%v → %v over %d (blocks of %d): off the curve by %g, want ≤ 1e-12", tc.from, tc.to, tc.n, tc.block, worst)
		}
		checkMonotonic(t, out, 0, n, tc.to > tc.from)
	}
	// The flattest part of a 2-minute fade, its last samples, where the
	// curve moves by less than 1e-13 per sample.
	const long = 48000 * 120
	e := NewEnvelope(dc(1), 0)
	e.FadeTo(1, long)
	buf := make([][2]float64, 1<<16)
	for left := long - 5000; left > 0; {
		n, _ := e.Stream(buf[:min(len(buf), left)])
		left -= n
	}
	tail := collect(t, e, 5000, 512)
	checkMonotonic(t, tail, 0, len(tail), true)
	if tail[len(tail)-1][0] != 1 {
		t.Errorf("last sample of the 2-minute fade-in = %g, want 1", tail[len(tail)-1][0])
	}
}
