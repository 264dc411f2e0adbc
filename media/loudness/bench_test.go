//go:build unix

package loudness

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"attune/media/decode"
	"attune/media/mediatest"
)

// The benchmarks report "x-realtime": seconds of audio analysed per second
// of CPU time (user + system, all threads, as /usr/bin/time counts ffmpeg),
// not wall time, which on a shared machine says more about the neighbours.

func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// realtime runs b.Loop over f, which analyses seconds of audio per call,
// and reports seconds of audio per CPU second.
func realtime(b *testing.B, seconds float64, f func()) {
	b.ReportAllocs()
	start := cpuTime(b)
	n := 0
	for b.Loop() {
		f()
		n++
	}
	b.ReportMetric(float64(n)*seconds/(cpuTime(b)-start).Seconds(), "x-realtime")
}

// noise is seconds of stereo noise at rate, interleaved: no stretch of it is
// far below its peak, the worst case for the true-peak skipping.
func noise(rate int, seconds float64) []float64 {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]float64, 2*int(seconds*float64(rate)))
	for i := range out {
		out[i] = r.Float64()*1.6 - 0.8
	}
	return out
}

// corpusFile is the mixed corpus's file at rel, or "" without the corpus
// (the benchmarks then run on generated signals only).
func corpusFile(rel string) string {
	dir := os.Getenv(mediatest.CorpusEnv)
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	p := filepath.Join(dir, "music", "mixed", rel)
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// benchFLAC and benchMP3 are the corpus files the speed is reported for
// (docs/loudness.md), beside ffmpeg's ebur128 filter on the same files.
const (
	benchFLAC = "flac-16-44k/02 - Maxstack - Awakening.flac"
	benchMP3  = "mp3-vbr-v0/02 - Maxstack - Awakening.mp3"
)

// BenchmarkMeter_Add measures PCM already in memory: the meter alone.
func BenchmarkMeter_Add(b *testing.B) {
	type pcm struct {
		rate    int
		samples []float64
	}
	inputs := map[string]pcm{
		"noise-44k":      {44100, noise(44100, 10)},
		"noise-48k":      {48000, noise(48000, 10)},
		"sine-44k-loud":  {44100, sine(44100, 2, 997, -1, 10, 0)},
		"sine-44k-quiet": {44100, sequence(44100, segment{-1, 0.5}, segment{-30, 9.5})},
	}
	if p := corpusFile(benchFLAC); p != "" {
		s := probed(b, p)
		tr, err := decode.Open(context.Background(), p, s, s.SampleRate)
		if err != nil {
			b.Fatal(err)
		}
		var music []float64
		buf := make([][2]float64, 4096)
		for {
			n, ok := tr.Stream(buf)
			for _, f := range buf[:n] {
				music = append(music, f[0], f[1])
			}
			if !ok {
				break
			}
		}
		tr.Close()
		inputs["music-44k"] = pcm{s.SampleRate, music}
	}
	for name, in := range inputs {
		b.Run(name, func(b *testing.B) {
			m := mustMeter(b, in.rate, 2)
			realtime(b, float64(len(in.samples)/2)/float64(in.rate), func() { m.Add(in.samples) })
		})
	}
}

// BenchmarkMeasureFile is the whole job: decode (media/decode, at the file's
// rate) and measure.
func BenchmarkMeasureFile(b *testing.B) {
	files := map[string]string{
		"wav-16-44k-generated": mediatest.WriteFile(b, b.TempDir(), "tone.wav", mediatest.WAV(mediatest.Tone{
			SampleRate: 44100, Channels: 2, BitDepth: 16, Samples: 30 * 44100, Freq: 440, Amp: 0.5})),
	}
	for name, rel := range map[string]string{"flac-16-44k": benchFLAC, "mp3-vbr-v0": benchMP3} {
		if p := corpusFile(rel); p != "" {
			files[name] = p
		}
	}
	for name, path := range files {
		b.Run(name, func(b *testing.B) {
			s := probed(b, path)
			realtime(b, float64(s.Samples)/float64(s.SampleRate), func() {
				if _, err := MeasureFile(context.Background(), path, s); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
