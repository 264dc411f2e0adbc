package loudness

import (
	"fmt"
	"math"
	"testing"
)

// The minimum-requirements test signals of EBU Tech 3341 ("Loudness Metering:
// 'EBU Mode' metering to supplement EBU R 128 loudness normalization", v4,
// 2016, Table 1) and EBU Tech 3342 ("Loudness Range", v4, 2016, Table 1),
// rendered from their published definitions: 1 kHz stereo sines, the level
// given per channel in dBFS (a full-scale sine is 0 dBFS), 48 kHz. The EBU
// also ships them as files (the "EBU loudness test set"); generating them
// needs no download and tests the other rates as well.

// conformanceRates are the rates the Tech 3341 and 3342 sequences are
// rendered at: 48 kHz, as published, and 44.1 kHz, the library's commonest
// (skipped under -race and -short, which slow minutes of sines too much).
func conformanceRates() []int {
	if raceEnabled || testing.Short() {
		return []int{48000}
	}
	return []int{48000, 44100}
}

func TestMeter_Tech3341Integrated(t *testing.T) {
	cases := []struct {
		name string
		segs []segment
		want float64 // LUFS, ±0.1
	}{
		{"case 1: -23 dBFS 20 s", []segment{{-23, 20}}, -23},
		{"case 2: -33 dBFS 20 s", []segment{{-33, 20}}, -33},
		{"case 3: -36/-23/-36 dBFS 10/60/10 s", []segment{{-36, 10}, {-23, 60}, {-36, 10}}, -23},
		{"case 4: -72/-36/-23/-36/-72 dBFS 10/10/60/10/10 s",
			[]segment{{-72, 10}, {-36, 10}, {-23, 60}, {-36, 10}, {-72, 10}}, -23},
		{"case 5: -26/-20/-26 dBFS 20/20.1/20 s", []segment{{-26, 20}, {-20, 20.1}, {-26, 20}}, -23},
	}
	for _, rate := range conformanceRates() {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%d/%s", rate, c.name), func(t *testing.T) {
				m := loudnessMeter(t, rate, 2)
				m.Add(sequence(rate, c.segs...))
				r := m.Result()
				t.Logf("Integrated = %.3f LUFS", r.Integrated)
				if math.Abs(r.Integrated-c.want) > 0.1 || r.Silent {
					t.Errorf("Integrated = %.3f LUFS (silent %v), want %.1f ±0.1", r.Integrated, r.Silent, c.want)
				}
			})
		}
	}
}

func TestMeter_Tech3342Range(t *testing.T) {
	cases := []struct {
		name string
		segs []segment
		want float64 // LU, ±1
	}{
		{"case 1: -20/-30 dBFS 20/20 s", []segment{{-20, 20}, {-30, 20}}, 10},
		{"case 2: -20/-15 dBFS 20/20 s", []segment{{-20, 20}, {-15, 20}}, 5},
		{"case 3: -40/-20 dBFS 20/20 s", []segment{{-40, 20}, {-20, 20}}, 20},
		{"case 4: -50/-35/-20/-35/-50 dBFS 20 s each",
			[]segment{{-50, 20}, {-35, 20}, {-20, 20}, {-35, 20}, {-50, 20}}, 15},
	}
	for _, rate := range conformanceRates() {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%d/%s", rate, c.name), func(t *testing.T) {
				m := loudnessMeter(t, rate, 2)
				m.Add(sequence(rate, c.segs...))
				got := m.Result().Range
				t.Logf("Range = %.3f LU", got)
				if math.Abs(got-c.want) > 1 {
					t.Errorf("Range = %.3f LU, want %.0f ±1", got, c.want)
				}
			})
		}
	}
}

// Tech 3341 cases 15–19: stereo sines at 48 kHz whose true peak lies between
// samples; the reading must be within +0.2/−0.4 dB of the expected level.
func TestMeter_Tech3341TruePeak(t *testing.T) {
	cases := []struct {
		name                string
		freq, amp, phaseDeg float64 // Hz at 48 kHz, × full scale, degrees
		want                float64 // dBTP
	}{
		{"case 15: fs/4, 0.50 FS, 0°", 12000, 0.5, 0, -6.0},
		{"case 16: fs/4, 0.50 FS, 45°", 12000, 0.5, 45, -6.0},
		{"case 17: fs/6, 0.50 FS, 60°", 8000, 0.5, 60, -6.0},
		{"case 18: fs/8, 0.50 FS, 67.5°", 6000, 0.5, 67.5, -6.0},
		{"case 19: fs/4, 1.41 FS, 45°", 12000, 1.41, 45, +3.0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := mustMeter(t, 48000, 2)
			m.Add(fade(sine(48000, 2, c.freq, 20*math.Log10(c.amp), 1, c.phaseDeg*math.Pi/180), 48000, 2))
			got := m.Result().TruePeak
			t.Logf("TruePeak = %.3f dBTP", got)
			if got < c.want-0.4 || got > c.want+0.2 {
				t.Errorf("TruePeak = %.3f dBTP, want %.1f +0.2/-0.4", got, c.want)
			}
		})
	}
}
