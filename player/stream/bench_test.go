package stream

import (
	"testing"
)

// BenchmarkStream_Write encodes 1024-frame blocks of a sine at 48 kHz for
// 20 listeners and reports seconds of audio per CPU-second.
func BenchmarkStream_Write(b *testing.B) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"256k-q3", Config{}},
		{"192k-q3", Config{Bitrate: 192}},
		{"256k-q2", Config{Quality: 2}},
		{"256k-q5", Config{Quality: 5}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := newTestStream(b, tc.cfg)
			var ls []*listener
			for range 20 {
				ls = append(ls, s.join(nil))
			}
			buf := make([]byte, 64<<10)
			block := make([][2]float64, 1024)
			g := &sine{hz: 440, amp: 0.3}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				g.fill(block)
				if err := s.Write(block); err != nil {
					b.Fatalf("Write: %v", err)
				}
				for _, l := range ls {
					l.pull(buf)
				}
			}
			b.ReportMetric(float64(b.N)*1024/testRate/b.Elapsed().Seconds(), "x_realtime")
			if got := s.Listeners(); got != len(ls) {
				b.Errorf("Listeners() = %d, want %d", got, len(ls))
			}
			for range ls {
				s.handlers.Done()
			}
		})
	}
}
