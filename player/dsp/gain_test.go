package dsp

import (
	"math"
	"testing"
)

// checkRamp checks a rendered DC-1 ramp: every sample's level differs from
// the previous one by at most step dB (outside silence), and the dB slope
// between blocks of 4800 samples stays within slew.
func checkRamp(t *testing.T, out [][2]float64, slew float64) {
	t.Helper()
	step := slew / float64(rate)
	worst := 0.0
	for i := 1; i < len(out); i++ {
		a, b := out[i-1][0], out[i][0]
		if a == 0 || b == 0 {
			// Leaving or reaching silence: at most the floor's amplitude.
			if d := math.Abs(b - a); d > DBToGain(FloorDB)*(1+1e-9) {
				t.Fatalf("sample %d: step into/out of silence %g, want ≤ %g", i, d, DBToGain(FloorDB))
			}
			continue
		}
		worst = max(worst, math.Abs(GainToDB(b)-GainToDB(a)))
	}
	if worst > step*(1+1e-6) {
		t.Errorf("max per-sample change %.3g dB, want ≤ %.3g dB", worst, step)
	}
	const block = 4800
	for i := block; i < len(out); i += block {
		a, b := out[i-block][0], out[i][0]
		if a == 0 || b == 0 {
			continue
		}
		slope := math.Abs(GainToDB(b)-GainToDB(a)) / (float64(block) / float64(rate))
		if slope > slew*(1+1e-6) {
			t.Errorf("block ending %d: slope %.4f dB/s, want ≤ %v", i, slope, slew)
		}
	}
}

func TestGain_RampFromSilence(t *testing.T) {
	g := NewGain(dc(1), rate)
	if !g.Settled() || !math.IsInf(g.Current(), -1) {
		t.Fatalf("new gain: current %v settled %v, want silent and settled", g.Current(), g.Settled())
	}
	g.SetTarget(-12)
	// −90 → −12 dB at 6 dB/s is 13 s.
	// The first sample is at the floor, then the ramp's steps.
	want := 1 + int(math.Ceil(78/(DefaultSlew/float64(rate))))
	out := collect(t, g, want+1000, 512)
	if out[0][0] != DBToGain(FloorDB) {
		t.Errorf("first sample %g, want the floor %g", out[0][0], DBToGain(FloorDB))
	}
	checkRamp(t, out, DefaultSlew)
	target := DBToGain(-12)
	if got := out[want-1][0]; got != target {
		t.Errorf("sample %d = %.17g, want exactly %.17g", want-1, got, target)
	}
	if got := out[want-2][0]; got >= target {
		t.Errorf("sample %d = %g, want below target %g (ramp too fast)", want-2, got, target)
	}
	for i := want; i < len(out); i++ {
		if out[i][0] != target {
			t.Fatalf("sample %d = %g after settling, want %g", i, out[i][0], target)
		}
	}
	if !g.Settled() || g.Current() != -12 || g.Target() != -12 {
		t.Errorf("current %v target %v settled %v, want -12 -12 true", g.Current(), g.Target(), g.Settled())
	}
}

func TestGain_RampDownExact(t *testing.T) {
	g := NewGain(dc(1), rate)
	g.Reset(0)
	if err := g.SetSlew(20); err != nil {
		t.Fatal(err)
	}
	g.SetTarget(-7.3)
	want := int(math.Ceil(7.3 / (20 / float64(rate))))
	out := collect(t, g, want+100, 333)
	checkRamp(t, out, 20)
	if got, w := out[want-1][0], DBToGain(-7.3); got != w {
		t.Errorf("sample %d = %.17g, want exactly %.17g", want-1, got, w)
	}
	for i := 1; i < want; i++ {
		if out[i][0] >= out[i-1][0] {
			t.Fatalf("sample %d: %g not below %g, want a monotonic fall", i, out[i][0], out[i-1][0])
		}
	}
}

func TestGain_FadeToSilenceEndsAtZero(t *testing.T) {
	g := NewGain(dc(1), rate)
	g.Reset(-30)
	if err := g.SetSlew(30); err != nil {
		t.Fatal(err)
	}
	g.SetTarget(math.Inf(-1))
	// −30 → −90 dB at 30 dB/s is 2 s, then zeros.
	end := int(math.Ceil(60 / (30 / float64(rate))))
	out := collect(t, g, end+4800, 1024)
	checkRamp(t, out, 30)
	if got := out[end-1][0]; got != DBToGain(FloorDB) {
		t.Errorf("sample %d = %g, want the floor %g", end-1, got, DBToGain(FloorDB))
	}
	for i := end; i < len(out); i++ {
		if out[i] != [2]float64{} {
			t.Fatalf("sample %d = %v, want true zero after the fade", i, out[i])
		}
	}
	if !g.Settled() || !math.IsInf(g.Current(), -1) {
		t.Errorf("current %v settled %v, want silent and settled", g.Current(), g.Settled())
	}
}

func TestGain_RetargetMidRampNoClick(t *testing.T) {
	const f, amp = 440.0, 1.0
	g := NewGain(sine(f, amp), rate)
	g.Reset(-20)
	if err := g.SetSlew(60); err != nil {
		t.Fatal(err)
	}
	g.SetTarget(0)
	out := collect(t, g, 10000, 480)
	g.SetTarget(-40) // reverse in the middle of the ramp
	out = append(out, collect(t, g, 48000, 480)...)
	g.SetTarget(math.Inf(-1))
	out = append(out, collect(t, g, 96000, 480)...)
	g.SetTarget(0)
	out = append(out, collect(t, g, 96000*2, 480)...)
	step, at := maxStep(out)
	if want := sineStep(f, amp); step > want {
		t.Errorf("max step %g at sample %d, want ≤ the sine's own %g", step, at, want)
	}
	t.Logf("max step %.5f, sine's own %.5f", step, sineStep(f, amp))
}

func TestGain_UnityIsBitExact(t *testing.T) {
	src := noise(1, 5000, 1)
	g := NewGain(slice(src), rate)
	g.Reset(0)
	out := collect(t, g, 10000, 512)
	if len(out) != len(src) {
		t.Fatalf("got %d samples, want %d", len(out), len(src))
	}
	for i := range src {
		if out[i] != src[i] {
			t.Fatalf("sample %d = %v, want %v", i, out[i], src[i])
		}
	}
}

func TestGain_SetTarget(t *testing.T) {
	g := NewGain(dc(1), rate)
	for _, tc := range []struct{ in, want float64 }{
		{-6, -6}, {100, MaxGainDB}, {math.NaN(), math.Inf(-1)}, {FloorDB, math.Inf(-1)}, {-200, math.Inf(-1)},
	} {
		g.SetTarget(tc.in)
		if got := g.Target(); got != tc.want {
			t.Errorf("SetTarget(%v): Target() = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestGain_SetSlew(t *testing.T) {
	g := NewGain(dc(1), rate)
	for _, bad := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if err := g.SetSlew(bad); err == nil {
			t.Errorf("SetSlew(%v) = nil, want an error", bad)
		}
	}
	if got := g.Slew(); got != DefaultSlew {
		t.Errorf("Slew() after bad values = %v, want %v", got, DefaultSlew)
	}
}

func TestGain_Drains(t *testing.T) {
	g := NewGain(slice(noise(2, 700, 0.5)), rate)
	g.SetTarget(0)
	buf := make([][2]float64, 512)
	if n, ok := g.Stream(buf); n != 512 || !ok {
		t.Errorf("first Stream = %d, %v; want 512, true", n, ok)
	}
	if n, ok := g.Stream(buf); n != 188 || !ok {
		t.Errorf("second Stream = %d, %v; want 188, true", n, ok)
	}
	if n, ok := g.Stream(buf); n != 0 || ok {
		t.Errorf("third Stream = %d, %v; want 0, false", n, ok)
	}
}
