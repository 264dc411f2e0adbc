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
