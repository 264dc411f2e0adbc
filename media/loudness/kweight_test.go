package loudness

import (
	"fmt"
	"math"
	"testing"
)

// table48k is the K-weighting of ITU-R BS.1770-4 Annex 1 (Tables 1 and 2),
// for 48 kHz.
var table48k = kWeighting{
	shelf: biquad{b0: 1.53512485958697, b1: -2.69169618940638, b2: 1.19839281085285,
		a1: -1.69065929318241, a2: 0.73248077421585},
	rlb: biquad{b0: 1, b1: -2, b2: 1, a1: -1.99004745483398, a2: 0.99007225036621},
}

func TestKWeighting_48kTable(t *testing.T) {
	got := newKWeighting(48000)
	for _, c := range []struct {
		name      string
		got, want biquad
	}{{"shelf", got.shelf, table48k.shelf}, {"RLB", got.rlb, table48k.rlb}} {
		g := []float64{c.got.b0, c.got.b1, c.got.b2, c.got.a1, c.got.a2}
		w := []float64{c.want.b0, c.want.b1, c.want.b2, c.want.a1, c.want.a2}
		for i := range g {
			if math.Abs(g[i]-w[i]) > 1e-8 {
				t.Errorf("%s coefficient %d = %.14f, want %.14f (BS.1770-4 table)", c.name, i, g[i], w[i])
			}
		}
	}
}

// The filters derived for other rates respond as the 48 kHz table does at the
// same frequencies, within 0.01 dB from 32 kHz up at those tested here.
// Below, the bilinear transform squeezes the shelf's upper half into the few
// kHz under Nyquist: at 22.05 kHz the derived filter is 0.022 dB low at 1 kHz and 0.019 dB high
// at 2 kHz (docs/loudness.md), which the looser bound there records.
func TestKWeighting_ResponseMatches48k(t *testing.T) {
	for _, rate := range []int{22050, 32000, 44100, 88200, 96000, 192000} {
		tol := 0.01
		if rate < 32000 {
			tol = 0.025
		}
		kw := newKWeighting(rate)
		for _, f := range []float64{20, 100, 1000, 2000, 5000, 10000} {
			got, want := kw.response(f, float64(rate)), table48k.response(f, 48000)
			if math.Abs(got-want) > tol {
				t.Errorf("%d Hz: gain at %g Hz = %.4f dB, want %.4f ±%g (48 kHz table)", rate, f, got, want, tol)
			}
		}
	}
	// The bug this guards against: the 48 kHz table reused at 44.1 kHz
	// is 0.2 dB off at 1 kHz and 1.1 dB at 20 Hz, which the test above
	// would catch.
	for _, f := range []float64{20, 1000} {
		if d := math.Abs(table48k.response(f, 44100) - table48k.response(f, 48000)); d < 0.1 {
			t.Errorf("the 48 kHz table at 44.1 kHz is off by only %.4f dB at %g Hz", d, f)
		}
	}
}

// BS.1770-4 §2.1 calibrates the meter so that a 0 dBFS 997 Hz sine in one
// channel reads −3.01 LKFS.
func TestMeter_Calibration(t *testing.T) {
	for _, rate := range []int{32000, 44100, 48000, 96000} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			m := mustMeter(t, rate, 1)
			m.Add(sine(rate, 1, 997, 0, 5, 0))
			if got := m.Result().Integrated; math.Abs(got-(-3.01)) > 0.01 {
				t.Errorf("Integrated = %.3f LUFS, want -3.01 ±0.01", got)
			}
		})
	}
}
