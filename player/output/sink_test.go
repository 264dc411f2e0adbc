package output

import (
	"errors"
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

const testRate = 48000

// writeBlocks writes src in blocks of n frames (the last one shorter).
func writeBlocks(tb testing.TB, s interface{ Write([][2]float64) error }, src [][2]float64, n int) {
	tb.Helper()
	for off := 0; off < len(src); off += n {
		if err := s.Write(src[off:min(off+n, len(src))]); err != nil {
			tb.Fatalf("Write at frame %d: %v", off, err)
		}
	}
}

// reportRealtime reports seconds of audio written per second of benchmark.
func reportRealtime(b *testing.B, block int) {
	b.ReportMetric(float64(b.N)*float64(block)/testRate/b.Elapsed().Seconds(), "x_realtime")
}

// totalAllocs is the number of heap allocations made by runs calls of f,
// after one call to warm up. (testing.AllocsPerRun rounds the average down,
// hiding an allocation made every few calls.)
func totalAllocs(runs int, f func()) uint64 {
	// purego keeps its call frames in a sync.Pool, which a garbage
	// collection empties: one refill per GC cycle is purego's, not the
	// sink's, so the count is taken with the collector held off.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	f()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs
}

// sink is the engine's Sink interface, restated where it is checked.
type sink interface {
	Write(block [][2]float64) error
	Paced() bool
	Close() error
}

var (
	_ sink = (*ALSA)(nil)
	_ sink = (*WAV)(nil)
	_ sink = (*Null)(nil)
)

// sine is hz at amp, with the right channel the left inverted.
func sine(frames, rate int, hz, amp float64) [][2]float64 {
	out := make([][2]float64, frames)
	for i := range out {
		v := amp * math.Sin(2*math.Pi*hz*float64(i)/float64(rate))
		out[i] = [2]float64{v, -v}
	}
	return out
}

func TestNull_Write(t *testing.T) {
	var n Null
	if n.Paced() {
		t.Error("Paced() = true, want false")
	}
	for _, l := range []int{0, 1, 1024, 77} {
		if err := n.Write(make([][2]float64, l)); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := n.Frames(), int64(1+1024+77); got != want {
		t.Errorf("Frames() = %d, want %d", got, want)
	}
	for i := range 2 {
		if err := n.Close(); err != nil {
			t.Errorf("Close #%d: %v", i+1, err)
		}
	}
	if err := n.Write(make([][2]float64, 1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
}
