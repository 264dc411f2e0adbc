package stream

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

const testRate = 48000

// newTestStream returns a Stream for cfg (SampleRate defaults to testRate)
// that is closed when the test ends. It skips the test, saying why, only when
// LAME is not installed.
func newTestStream(tb testing.TB, cfg Config) *Stream {
	tb.Helper()
	if cfg.SampleRate == 0 {
		cfg.SampleRate = testRate
	}
	s, err := New(cfg)
	if err != nil {
		if strings.Contains(err.Error(), "not found: install libmp3lame0") {
			tb.Skipf("skipping: no MP3 encoder on this machine: %v", err)
		}
		tb.Fatalf("New(%+v): %v", cfg, err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// ffmpeg returns the path of ffmpeg, skipping the test when it is absent.
func ffmpeg(tb testing.TB) string {
	tb.Helper()
	p, err := exec.LookPath("ffmpeg")
	if err != nil {
		tb.Skip("skipping: ffmpeg is not installed (CI installs it); it decodes the stream for this test")
	}
	return p
}

// sine generates a stereo sine of the given frequency and peak amplitude at
// testRate, continuing its phase across calls.
type sine struct {
	hz, amp float64
	n       int64
}

func (g *sine) fill(block [][2]float64) {
	for i := range block {
		v := g.amp * math.Sin(2*math.Pi*g.hz*float64(g.n)/testRate)
		block[i] = [2]float64{v, v}
		g.n++
	}
}

// dB converts an amplitude ratio to decibels.
func dB(x float64) float64 { return 20 * math.Log10(x) }

// walkFrames checks that data is a sequence of whole MP3 frames starting at
// byte 0 (a trailing partial frame is allowed) and returns the offsets of
// the frame starts.
func walkFrames(tb testing.TB, data []byte) []int {
	tb.Helper()
	var offs []int
	for off := 0; off+4 <= len(data); {
		n := frameLen([4]byte(data[off : off+4]))
		if n == 0 {
			tb.Fatalf("no MP3 frame header at byte %d of %d (after %d frames): % x", off, len(data), len(offs), data[off:off+4])
		}
		offs = append(offs, off)
		off += n
	}
	return offs
}

// decode decodes MP3 (from stdin, or url if not empty) with ffmpeg to 48 kHz
// stereo int16 and returns the left channel as floats, full scale ±1.
func decode(tb testing.TB, ctx context.Context, mp3 []byte, url string, seconds float64) []float64 {
	tb.Helper()
	in := "-"
	if url != "" {
		in = url
	}
	args := []string{"-hide_banner", "-loglevel", "error", "-i", in}
	if seconds > 0 {
		args = append(args, "-t", strconv.FormatFloat(seconds, 'f', -1, 64))
	}
	args = append(args, "-f", "s16le", "-ac", "2", "-ar", "48000", "-")
	cmd := exec.CommandContext(ctx, ffmpeg(tb), args...)
	if url == "" {
		cmd.Stdin = bytes.NewReader(mp3)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("ffmpeg %v: %v\n%s", args, err, stderr.String())
	}
	left := make([]float64, len(out)/4)
	for i := range left {
		left[i] = float64(int16(binary.LittleEndian.Uint16(out[4*i:]))) / 32768
	}
	return left
}

// analyse returns the peak amplitude (from the RMS) and the frequency (from
// zero crossings) of a sine.
func analyse(x []float64) (amp, hz float64) {
	var sum float64
	crossings := 0
	for i, v := range x {
		sum += v * v
		if i > 0 && (x[i-1] < 0) != (v < 0) {
			crossings++
		}
	}
	rms := math.Sqrt(sum / float64(len(x)))
	return rms * math.Sqrt2, float64(crossings) / 2 / (float64(len(x)) / testRate)
}
