package main

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"attune/media/mediatest"
)

// attune play runs in real time until the timeline ends, records what it
// played, and takes commands on stdin.
func TestRun_play(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	t.Setenv("ATTUNE_DATA_DIR", filepath.Join(dir, "data"))
	t.Setenv("ATTUNE_AUDIO_PAUSE_FADE", "200ms")
	mediatest.WriteFile(t, dir, "a.wav", mediatest.WAV(mediatest.Tone{SampleRate: 48000, Channels: 2, Samples: 48000 * 2, Freq: 440, Amp: 0.5}))
	tl := mediatest.WriteFile(t, dir, "t.json", []byte(`{"version": 1, "items": [{"track": "a.wav", "start": "0s", "end": "1500ms"}]}`))
	out := filepath.Join(dir, "out.wav")

	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"play", "--timeline", tl, "--speaker", "none", "--out", out},
		strings.NewReader("volume -6\nwobble\n"), &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "wobble: unknown command") {
		t.Errorf("a bad command is not reported:\n%s", stderr.String())
	}
	rate, left := readWAV24(t, out)
	if rate != 48000 || len(left) < 48000*3/2 {
		t.Fatalf("recorded %d samples at %d Hz, want at least the 1.5 s timeline", len(left), rate)
	}
	// The start fades in from silence; by the end the volume is down 6 dB
	// from the file's -6 dBFS peak (0.5), with the limiter well clear.
	if v := math.Abs(left[0]); v > 1e-3 {
		t.Errorf("first sample %g, want silence", v)
	}
	if peak := maxAbs(left[48000:60000]); math.Abs(20*math.Log10(peak/0.25)) > 0.5 {
		t.Errorf("peak at 1.0–1.25 s = %.3f, want 0.25 (-6 dB volume on a 0.5 sine)", peak)
	}
}

func maxAbs(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}
