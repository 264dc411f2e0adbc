//go:build !(darwin || freebsd || linux || netbsd)

package stream

import (
	"errors"
	"runtime"
)

// On this platform LAME is not loaded: New fails with a clear error.

func lameLibrary() string { return "libmp3lame" }

type encoder struct{ outHz int }

func newEncoder(library string, inHz, kbps, quality int) (*encoder, error) {
	return nil, errors.New("stream: load MP3 encoder: " + library + " not found: install libmp3lame0 (run-time loading is not supported on " + runtime.GOOS + ")")
}

func maxMP3Bytes(frames int) int { return frames*5/4 + 7200 }

func (e *encoder) encode(pcm []float32, frames int, out []byte) (int, error) {
	return 0, errors.New("stream: no MP3 encoder")
}

func (e *encoder) close() {}
