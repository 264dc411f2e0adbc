package demo

import (
	"context"
	"testing"
)

// BenchmarkWrite renders all ten pieces (about 25 minutes of stereo audio).
func BenchmarkWrite(b *testing.B) {
	for b.Loop() {
		if _, err := Write(context.Background(), b.TempDir()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSynth renders the samples of all ten pieces without encoding them.
func BenchmarkSynth(b *testing.B) {
	l, r := make([]float64, blockFrames), make([]float64, blockFrames)
	for b.Loop() {
		for _, p := range Pieces() {
			s := newSynth(p)
			for s.render(l, r) > 0 {
			}
		}
	}
}
