package decode

import (
	"fmt"
	"testing"
)

// BenchmarkResampler_Stream resamples one second of noise per iteration at
// Quality, to 48 kHz and to 44.1 kHz: "ns/frame" is per output frame and
// "x-realtime" is seconds of output per CPU-second on one core.
func BenchmarkResampler_Stream(b *testing.B) {
	for _, rates := range [][2]int{
		{44100, 48000}, {22050, 48000}, {32000, 48000}, {88200, 48000}, {96000, 48000},
		{48000, 44100}, {32000, 44100}, {47999, 48000},
	} {
		b.Run(fmt.Sprintf("%d-%d", rates[0], rates[1]), func(b *testing.B) {
			in := noiseFrames(rates[0])
			dec := &frames{buf: in}
			src := newSource(dec, nil, 0, int64(len(in)), 0)
			rs := newResampler(src, rates[0], rates[1], Quality)
			out := make([][2]float64, 512)
			want := rs.outLen(int64(len(in)))
			b.ReportAllocs()
			b.ResetTimer()
			var total int64
			for b.Loop() {
				if err := src.seek(0); err != nil {
					b.Fatal(err)
				}
				rs.reset(0, 0)
				var got int64
				for {
					n := rs.stream(out)
					got += int64(n)
					if n < len(out) {
						break
					}
				}
				if got != want {
					b.Fatalf("resampled to %d frames, want %d", got, want)
				}
				total += got
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/frame")
			b.ReportMetric(float64(total)/float64(rates[1])/b.Elapsed().Seconds(), "x-realtime")
		})
	}
}
