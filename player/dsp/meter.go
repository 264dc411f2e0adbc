package dsp

import (
	"fmt"
	"math"

	"github.com/gopxl/beep/v2"
)

// Level is the measurement of one block of samples.
type Level struct {
	// Block is the block's number, counting from 0; its samples are
	// [Block·size, (Block+1)·size) of the Meter's stream.
	Block int64
	// Peak is the largest absolute sample value on either channel.
	Peak float64
	// RMS is the root mean square over both channels.
	RMS float64
}

// PeakDB returns the peak in dBFS (-Inf for silence).
func (l Level) PeakDB() float64 { return GainToDB(l.Peak) }

// RMSDB returns the RMS level in dBFS (-Inf for silence).
func (l Level) RMSDB() float64 { return GainToDB(l.RMS) }

// Meter passes a Streamer through unchanged and measures its peak and RMS
// level over consecutive blocks of a fixed number of samples, for the
// engine's level events. Settings and readings belong to the goroutine that
// calls Stream (see the package comment).
type Meter struct {
	// Streamer is the wrapped source.
	Streamer beep.Streamer

	size   int
	count  int
	peak   float64
	sumSq  float64
	block  int64
	last   Level
	filled bool
}

// NewMeter wraps s in a Meter measuring blocks of size samples (for example
// rate.N(100*time.Millisecond)). It panics if size is not positive (a
// programming error).
func NewMeter(s beep.Streamer, size int) *Meter {
	if size <= 0 {
		panic(fmt.Sprintf("dsp: NewMeter with block size %d", size))
	}
	return &Meter{Streamer: s, size: size}
}

// Last returns the level of the last complete block, and false when no block
// is complete yet.
func (m *Meter) Last() (Level, bool) { return m.last, m.filled }

// Stream streams the wrapped Streamer unchanged, measuring what passes.
func (m *Meter) Stream(samples [][2]float64) (n int, ok bool) {
	n, ok = m.Streamer.Stream(samples)
	for buf := samples[:n]; len(buf) > 0; {
		// Up to the end of the block, in locals (the same sums in the same
		// order as sample by sample).
		k := min(len(buf), m.size-m.count)
		peak, sumSq := m.peak, m.sumSq
		for _, s := range buf[:k] {
			// Comparisons rather than max, which is slower for ordering
			// NaNs; a NaN makes sumSq NaN, and then the peak.
			if a := math.Abs(s[0]); a > peak {
				peak = a
			}
			if b := math.Abs(s[1]); b > peak {
				peak = b
			}
			sumSq += s[0]*s[0] + s[1]*s[1]
		}
		if math.IsNaN(sumSq) {
			peak = sumSq
		}
		m.peak, m.sumSq = peak, sumSq
		buf = buf[k:]
		if m.count += k; m.count == m.size {
			m.last = Level{Block: m.block, Peak: m.peak, RMS: math.Sqrt(m.sumSq / float64(2*m.size))}
			m.filled = true
			m.block++
			m.count, m.peak, m.sumSq = 0, 0, 0
		}
	}
	return n, ok
}

// Err propagates the wrapped Streamer's error.
func (m *Meter) Err() error {
	return m.Streamer.Err()
}
