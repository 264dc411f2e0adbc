package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
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
	mediatest.WriteFile(t, dir, "a.wav", mediatest.WAV(mediatest.Tone{SampleRate: 48000, Channels: 2, Samples: 48000 * 2, Freq: 440, Amp: unanalysedAmp(0.5)}))
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

// playFixture writes a 1.5 s 440 Hz sine at -6 dBFS (0.5), a timeline of it
// and a config file with body; it returns the dir, the timeline and the
// config file.
func playFixture(t *testing.T, config string) (dir, tl, cfg string) {
	t.Helper()
	isolate(t)
	dir = t.TempDir()
	t.Setenv("ATTUNE_DATA_DIR", filepath.Join(dir, "data"))
	t.Setenv("ATTUNE_AUDIO_PAUSE_FADE", "200ms")
	mediatest.WriteFile(t, dir, "a.wav", mediatest.WAV(mediatest.Tone{SampleRate: 48000, Channels: 2, Samples: 48000 * 2, Freq: 440, Amp: unanalysedAmp(0.5)}))
	tl = mediatest.WriteFile(t, dir, "t.json", []byte(`{"version": 1, "items": [{"track": "a.wav", "start": "0s", "end": "1500ms"}]}`))
	cfg = mediatest.WriteFile(t, dir, "attune.yaml", []byte(strings.ReplaceAll(config, "DIR", dir)))
	return dir, tl, cfg
}

const twoRooms = `rooms:
  - name: Willow
    outputs: [{type: file, path: DIR/willow.wav}]
  - name: Oak
    volume: -8
    ceiling: -3
    patient_volume: {min: -20, max: -2}
    outputs:
      - {name: rec, type: file, path: DIR/oak.wav, trim: -4}
      - {name: quiet, type: file, path: DIR/oak-quiet.wav, trim: -20}
      - {type: null}
      - {type: speaker, device: nosuchdevice, optional: true}
`

// attune play --room opens that room's outputs, each at its trim, at the
// room's volume; an optional speaker that cannot open is left out.
func TestRun_playRoom(t *testing.T) {
	dir, tl, cfg := playFixture(t, twoRooms)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"play", "--config", cfg, "--timeline", tl, "--room", "oak"},
		strings.NewReader(""), &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	for _, want := range []string{
		`room "Oak", outputs rec, quiet, null, ceiling -3 dBFS, volume -8 dB`,
		`output "speaker" (speaker, optional): alsa: open "nosuchdevice"`,
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	// Volume -8 dB and trim -4 dB on a 0.5 sine: 0.5·10^(-12/20) ≈ 0.126,
	// clear of the -3 dBFS ceiling; the -20 dB trim is 16 dB below that.
	for _, tc := range []struct {
		file   string
		wantDB float64
	}{
		{"oak.wav", -6 - 8 - 4},
		{"oak-quiet.wav", -6 - 8 - 20},
	} {
		rate, left := readWAV24(t, filepath.Join(dir, tc.file))
		if rate != 48000 || len(left) < 48000*3/2 {
			t.Fatalf("%s: recorded %d samples at %d Hz, want at least the 1.5 s timeline", tc.file, len(left), rate)
		}
		if v := math.Abs(left[0]); v > 1e-3 {
			t.Errorf("%s: first sample %g, want silence (the start fades in)", tc.file, v)
		}
		if db := 20 * math.Log10(maxAbs(left[48000:60000])); math.Abs(db-tc.wantDB) > 0.1 {
			t.Errorf("%s: peak at 1.0–1.25 s = %.2f dBFS, want %.1f", tc.file, db, tc.wantDB)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "willow.wav")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the other room's output was opened (stat: %v)", err)
	}
}

// Without --room, the first room plays; the room's ceiling holds.
func TestRun_playFirstRoomCeiling(t *testing.T) {
	dir, tl, cfg := playFixture(t, strings.Replace(twoRooms, "  - name: Willow\n", "  - name: Willow\n    ceiling: -15\n    volume: -6\n", 1))
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"play", "--config", cfg, "--timeline", tl},
		strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	_, left := readWAV24(t, filepath.Join(dir, "willow.wav"))
	// -6 dB on a -6 dBFS sine would be -12 dBFS: the limiter holds it at
	// the -15 dBFS ceiling.
	if db := 20 * math.Log10(maxAbs(left)); db > -15+0.01 || db < -15.5 {
		t.Errorf("peak %.2f dBFS, want the -15 dBFS ceiling (unlimited: -12)", db)
	}
}

// The ad-hoc output flags replace the room's outputs; the room's volume
// still applies.
func TestRun_playFlagsOverrideRoom(t *testing.T) {
	dir, tl, cfg := playFixture(t, twoRooms)
	out := filepath.Join(dir, "adhoc.wav")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"play", "--config", cfg, "--timeline", tl, "--room", "Oak", "--speaker", "none", "--out", out},
		strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), `room "Oak", outputs file,`) {
		t.Errorf("stderr does not name the ad-hoc output:\n%s", stderr.String())
	}
	_, left := readWAV24(t, out)
	if db := 20 * math.Log10(maxAbs(left[48000:60000])); math.Abs(db-(-14)) > 0.1 {
		t.Errorf("peak %.2f dBFS, want -14 (the room's -8 dB volume, no trim)", db)
	}
	for _, f := range []string{"oak.wav", "oak-quiet.wav"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the room's output %s was opened (stat: %v)", f, err)
		}
	}
}

func TestRun_playUnknownRoom(t *testing.T) {
	_, tl, cfg := playFixture(t, twoRooms)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"play", "--config", cfg, "--timeline", tl, "--room", "Elm"},
		strings.NewReader(""), &stdout, &stderr)
	if want := `attune play: no room "Elm": the configured rooms are "Willow", "Oak"`; code != exitUsage || !strings.Contains(stderr.String(), want) {
		t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), exitUsage, want)
	}
}

// A file output that cannot be created stops play before anything plays,
// unless it is optional.
func TestRun_playOutputFails(t *testing.T) {
	for _, optional := range []bool{false, true} {
		room := fmt.Sprintf("rooms:\n  - name: A\n    outputs:\n      - {type: file, path: DIR/no/such/dir/a.wav, optional: %v}\n      - {name: ok, type: file, path: DIR/ok.wav}\n", optional)
		dir, tl, cfg := playFixture(t, room)
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"play", "--config", cfg, "--timeline", tl},
			strings.NewReader(""), &stdout, &stderr)
		_, err := os.Stat(filepath.Join(dir, "ok.wav"))
		if optional {
			if code != exitOK || err != nil || !strings.Contains(stderr.String(), `output "file" (file, optional)`) {
				t.Errorf("optional: exit %d, ok.wav: %v; want 0 and the other output played; stderr:\n%s", code, err, stderr.String())
			}
		} else if code != exitFailure || !strings.Contains(stderr.String(), `attune play: output "file" (file): `) {
			t.Errorf("required: exit %d; want %d and the output named; stderr:\n%s", code, exitFailure, stderr.String())
		}
	}
}

// The default room (no rooms configured) serves its stream at --listen and
// treats the speaker as optional.
func TestRun_playDefaultRoomStream(t *testing.T) {
	_, tl, cfg := playFixture(t, "audio:\n  ceiling: -2\n")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"play", "--config", cfg, "--timeline", tl, "--listen", "127.0.0.1:0"},
		strings.NewReader(""), &stdout, &stderr)
	if strings.Contains(stderr.String(), "install libmp3lame0") {
		t.Skipf("skipping: no MP3 encoder on this machine:\n%s", stderr.String())
	}
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	if !regexp.MustCompile(`streaming at http://127\.0\.0\.1:[1-9][0-9]*/stream\.mp3`).MatchString(stderr.String()) ||
		!strings.Contains(stderr.String(), `room "Room 1", outputs stream`) ||
		!strings.Contains(stderr.String(), "ceiling -2 dBFS, volume -12 dB") {
		t.Errorf("stderr does not show the default room streaming:\n%s", stderr.String())
	}
}
