package demo

import (
	"context"
	"math"
	"testing"
	"time"

	"attune/media"
	"attune/media/decode"
	"attune/media/probe"
)

// shortened returns the pieces with every length set to d, so that tests
// under the race detector stay quick. The chords, fades and tags are the
// same; only the ending comes sooner.
func shortened(d time.Duration) []Piece {
	ps := Pieces()
	for i := range ps {
		ps[i].Length = d
	}
	return ps
}

// decoded is a rendered file as the library and the engine see it.
type decoded struct {
	info    media.Info
	samples [][2]float64
}

// decodeFile probes path and decodes all of it at its own rate with o
// (nil: decode.Open's default, the C libraries when they load).
func decodeFile(tb testing.TB, path string, o *decode.Opener) decoded {
	tb.Helper()
	ctx := context.Background()
	info, err := probe.File(ctx, path)
	if err != nil {
		tb.Fatalf("probe %s: %v", path, err)
	}
	var tr *decode.Track
	if o == nil {
		tr, err = decode.Open(ctx, path, info.Stream, info.Stream.SampleRate)
	} else {
		tr, err = o.Open(ctx, path, info.Stream, info.Stream.SampleRate)
	}
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	defer tr.Close()
	out := make([][2]float64, 0, info.Stream.Samples)
	buf := make([][2]float64, 4096)
	for {
		n, ok := tr.Stream(buf)
		out = append(out, buf[:n]...)
		if !ok {
			break
		}
	}
	if err := tr.Err(); err != nil {
		tb.Fatalf("decode %s: %v", path, err)
	}
	return decoded{info: info, samples: out}
}

// peakDB is the highest absolute sample, in dBFS.
func peakDB(x [][2]float64) float64 {
	p := 0.0
	for _, f := range x {
		p = max(p, math.Abs(f[0]), math.Abs(f[1]))
	}
	return 20 * math.Log10(p)
}

// maxStep is the largest change between consecutive samples of a channel,
// and the frame where it happens: a click is a step far above what the
// music's own slopes make.
func maxStep(x [][2]float64) (step float64, at int) {
	for i := 1; i < len(x); i++ {
		for c := range 2 {
			if d := math.Abs(x[i][c] - x[i-1][c]); d > step {
				step, at = d, i
			}
		}
	}
	return step, at
}

// rmsDB is the RMS level of both channels of x, in dBFS.
func rmsDB(x [][2]float64) float64 {
	s := 0.0
	for _, f := range x {
		s += f[0]*f[0] + f[1]*f[1]
	}
	return 10 * math.Log10(s/float64(2*len(x)))
}

// correlation is the normalized correlation of the left channels of a and
// b over their common length: near 0 for unrelated music, 1 for the same.
func correlation(a, b [][2]float64) float64 {
	n := min(len(a), len(b))
	var ab, aa, bb float64
	for i := range n {
		ab += a[i][0] * b[i][0]
		aa += a[i][0] * a[i][0]
		bb += b[i][0] * b[i][0]
	}
	return ab / math.Sqrt(aa*bb)
}

// maxThirdDiff is the largest third difference of a channel, and where: a
// smooth signal's is tiny (a 1 kHz sine at full scale gives 0.003), a
// discontinuity's is about its size.
func maxThirdDiff(x [][2]float64) (d float64, at int) {
	for i := 3; i < len(x); i++ {
		for c := range 2 {
			v := math.Abs(x[i][c] - 3*x[i-1][c] + 3*x[i-2][c] - x[i-3][c])
			if v > d {
				d, at = v, i
			}
		}
	}
	return d, at
}
