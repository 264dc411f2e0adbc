package dsp

import (
	"math"
	"testing"
)

func TestMeter_Last(t *testing.T) {
	const amp = 0.5
	m := NewMeter(sine(1000, amp), 4800) // 100 whole periods per block
	if _, ok := m.Last(); ok {
		t.Fatal("Last() ok before any block, want false")
	}
	src := collect(t, m, 4800*3+100, 512)
	got, ok := m.Last()
	if !ok || got.Block != 2 {
		t.Fatalf("Last() = %+v, %v; want block 2, true", got, ok)
	}
	if want := peak(src[9600:14400]); got.Peak != want {
		t.Errorf("Peak = %v, want %v", got.Peak, want)
	}
	if want := amp / math.Sqrt2; math.Abs(got.RMS-want) > 1e-9 {
		t.Errorf("RMS = %v, want %v", got.RMS, want)
	}
	if d := got.RMSDB() - GainToDB(amp/math.Sqrt2); math.Abs(d) > 1e-9 {
		t.Errorf("RMSDB off by %v dB", d)
	}
}

// A non-finite sample makes its block's peak NaN (a NaN) or +Inf (an
// infinity), and the next block is measured afresh.
func TestMeter_NonFinite(t *testing.T) {
	for _, tc := range []struct {
		bad  float64
		want func(float64) bool
	}{
		{math.NaN(), math.IsNaN},
		{math.Inf(-1), func(p float64) bool { return math.IsInf(p, 1) }},
	} {
		in := noise(11, 300, 0.5)
		in[37][1] = tc.bad
		m := NewMeter(slice(in), 100)
		collect(t, m, 100, 30)
		if got, _ := m.Last(); !tc.want(got.Peak) {
			t.Errorf("sample %v: block 0 peak %v", tc.bad, got.Peak)
		}
		collect(t, m, 100, 30)
		if got, _ := m.Last(); got.Peak != peak(in[100:200]) {
			t.Errorf("sample %v: block 1 peak %v, want %v", tc.bad, got.Peak, peak(in[100:200]))
		}
	}
}
