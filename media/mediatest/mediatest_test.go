package mediatest

import (
	"bytes"
	"testing"

	"github.com/gopxl/beep/v2/flac"
	"github.com/gopxl/beep/v2/wav"
)

// The fixtures must decode, with beep, to the tone they describe.
func TestFixtures_decode(t *testing.T) {
	tone := Tone{SampleRate: 48000, Channels: 2, BitDepth: 16, Samples: 10000, Freq: 1000, Amp: 0.5, Tags: Tags{Title: "t"}}
	for name, data := range map[string][]byte{"wav": WAV(tone), "flac": MustFLAC(t, tone)} {
		t.Run(name, func(t *testing.T) {
			var (
				s interface {
					Stream([][2]float64) (int, bool)
				}
				err error
			)
			if name == "wav" {
				s, _, err = wav.Decode(bytes.NewReader(data))
			} else {
				s, _, err = flac.Decode(bytes.NewReader(data))
			}
			if err != nil {
				t.Fatal(err)
			}
			buf := make([][2]float64, 20000)
			n := 0
			for {
				k, ok := s.Stream(buf[n:])
				n += k
				if !ok || k == 0 {
					break
				}
			}
			if n != tone.Samples {
				t.Fatalf("decoded %d samples, want %d", n, tone.Samples)
			}
			for _, i := range []int{0, 12, 4095, 4096, 9999} {
				want := float64(tone.Sample(i)) / (1 << 15)
				if got := buf[i][0]; got < want-1e-4 || got > want+1e-4 {
					t.Errorf("sample %d = %f, want %f", i, got, want)
				}
			}
		})
	}
}
