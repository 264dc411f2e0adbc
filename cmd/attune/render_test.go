package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"attune/media/mediatest"
	"attune/player/synth"
	"attune/player/timeline"
)

// readWAV24 reads the stereo 24-bit WAV that render writes: its rate and
// left-channel samples, full scale ±1.
func readWAV24(t *testing.T, path string) (rate int, left []float64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 44 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		t.Fatalf("%s is not a WAV file", path)
	}
	var data []byte
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		body := b[off+8 : min(off+8+size, len(b))]
		switch id {
		case "fmt ":
			rate = int(binary.LittleEndian.Uint32(body[4:]))
			if ch, bits := binary.LittleEndian.Uint16(body[2:]), binary.LittleEndian.Uint16(body[14:]); ch != 2 || bits != 24 {
				t.Fatalf("WAV has %d channels of %d bits, want 2 of 24", ch, bits)
			}
		case "data":
			data = body
		}
		off += 8 + size + size%2
	}
	for i := 0; i+6 <= len(data); i += 6 {
		v := int32(uint32(data[i])<<8|uint32(data[i+1])<<16|uint32(data[i+2])<<24) >> 8
		left = append(left, float64(v)/(1<<23))
	}
	return rate, left
}

func rms(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s / float64(len(x)))
}

func TestRun_render(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	t.Setenv("ATTUNE_DATA_DIR", filepath.Join(dir, "data"))
	// Two files at other rates than the engine's 48 kHz, each a sine at -12 dBFS.
	amp := math.Pow(10, -12.0/20)
	mediatest.WriteFile(t, dir, "a.wav", mediatest.WAV(mediatest.Tone{SampleRate: 44100, Channels: 2, Samples: 44100 * 3, Freq: 440, Amp: unanalysedAmp(amp)}))
	mediatest.WriteFile(t, dir, "b.flac", mediatest.MustFLAC(t, mediatest.Tone{SampleRate: 32000, Channels: 1, Samples: 32000 * 3, Freq: 330, Amp: unanalysedAmp(amp)}))
	tlJSON := `{"version": 1, "items": [
		{"track": "a.wav", "start": "0s", "end": "3s", "fade_in": "500ms"},
		{"track": "b.flac", "start": "2500ms", "end": "5s", "fade_out": "1s"},
		{"track": "missing.flac", "start": "5s", "end": "6s"}
	]}`
	tlPath := mediatest.WriteFile(t, dir, "session.json", []byte(tlJSON))
	out := filepath.Join(dir, "session.wav")

	code, stdout, stderr := attune(t, "render", "--json", "--timeline", tlPath, "--out", out)
	if code != exitFailure {
		t.Fatalf("exit %d, want 1 (one item's file is missing); stderr:\n%s", code, stderr)
	}
	var rep timeline.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, stdout)
	}
	if len(rep.Items) != 3 || rep.Items[0].StartedAt != 0 || rep.Items[1].StartedAt != 120000 {
		t.Fatalf("report items = %+v; want item 1 to start on sample 120000 (2.5 s)", rep.Items)
	}
	if !strings.Contains(rep.Items[2].Error, "missing.flac") {
		t.Errorf("missing track's error = %q", rep.Items[2].Error)
	}

	rate, left := readWAV24(t, out)
	if rate != 48000 || len(left) != 6*48000 {
		t.Fatalf("rendered %d samples at %d Hz, want 6 s at 48000", len(left), rate)
	}
	// Once the room's start fade (audio.pause_fade, 2 s) is over, each file
	// (not analysed: it plays at the default gain) plays at -12 dBFS peak,
	// so RMS amp/√2.
	for _, span := range [][2]float64{{2.1, 2.4}, {3.1, 3.9}} {
		got := rms(left[int(span[0]*48000):int(span[1]*48000)])
		if want := amp / math.Sqrt2; math.Abs(20*math.Log10(got/want)) > 0.1 {
			t.Errorf("level %.1f–%.1f s = %.2f dB off", span[0], span[1], 20*math.Log10(got/want))
		}
	}
	// The start fades in from silence, rising; the missing item is silence.
	if v := math.Abs(left[0]) + math.Abs(left[1]); v > 1e-3 {
		t.Errorf("first samples %v, want a fade from silence", left[:2])
	}
	if early, later := rms(left[4800:9600]), rms(left[48000:52800]); !(early < later) {
		t.Errorf("start: RMS %g at 0.1 s, %g at 1 s; want a rising fade-in", early, later)
	}
	if got := rms(left[int(5.01*48000):]); got != 0 {
		t.Errorf("where the missing item was: RMS %g, want silence", got)
	}
	if rep.Peak > math.Pow(10, -1.0/20) {
		t.Errorf("peak %.2f dBFS is above the room's -1 dBFS ceiling", 20*math.Log10(rep.Peak))
	}

	// A timeline with a bare-number duration is a usage error naming the field.
	bad := mediatest.WriteFile(t, dir, "bad.json", []byte(`{"version": 1, "items": [{"track": "a.wav", "start": 0, "end": "2s"}]}`))
	code, _, stderr = attune(t, "render", "--timeline", bad, "--out", filepath.Join(dir, "bad.wav"))
	if code != exitUsage || !strings.Contains(stderr, "start") {
		t.Errorf("bad timeline: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.wav")); err == nil {
		t.Errorf("a failed render left its output file")
	}
}

// A timeline of real files in every format, rate and channel count the
// library plays, crossfaded: every item starts on its sample, nothing fails,
// the music never drops out, and the ceiling holds.
func TestCorpus_render(t *testing.T) {
	corpus := mediatest.Corpus(t)
	isolate(t)
	dir := t.TempDir()
	t.Setenv("ATTUNE_DATA_DIR", filepath.Join(dir, "data"))
	mixed := filepath.Join(corpus, "music", "mixed")
	files := []string{
		"mp3-cbr320-id3v24/01 - Maxstack - A New Journey.mp3",
		"flac-24-96k/02 - Maxstack - Awakening.flac",
		"ogg-vorbis-q2-mono-22k/03 - Maxstack - Coherence.ogg",
		"wav-s16-44k/01 - Maxstack - A New Journey.wav",
		"mp3-vbr-v6-mono-32k/02 - Maxstack - Awakening.mp3",
		"flac-24-48k-mono/03 - Maxstack - Coherence.flac",
		"wav-s24-48k/02 - Maxstack - Awakening.wav",
		"ogg-vorbis-q6/01 - Maxstack - A New Journey.ogg",
	}
	var items []string
	for i, f := range files {
		start, end := i*3, i*3+4 // 4 s each, 1 s crossfades
		b, _ := json.Marshal(filepath.Join(mixed, f))
		items = append(items, fmt.Sprintf(`{"track": %s, "start": "%ds", "end": "%ds", "offset": "2s"}`, b, start, end))
	}
	tlPath := mediatest.WriteFile(t, dir, "corpus.json", []byte(`{"version": 1, "items": [`+strings.Join(items, ",")+`]}`))
	out := filepath.Join(dir, "corpus.wav")
	code, stdout, stderr := attune(t, "render", "--json", "--timeline", tlPath, "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s\n%s", code, stderr, stdout)
	}
	var rep timeline.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for i, it := range rep.Items {
		if it.Error != "" || it.StartedAt != int64(i*3*48000) {
			t.Errorf("item %d (%s): started at %d, error %q; want sample %d", i, files[i], it.StartedAt, it.Error, i*3*48000)
		}
	}
	_, left := readWAV24(t, out)
	if want := (len(files)*3 + 1) * 48000; len(left) != want {
		t.Fatalf("%d samples, want %d", len(left), want)
	}
	for at := 2 * 48000; at+4800 <= len(left); at += 4800 {
		if r := rms(left[at : at+4800]); r < 1e-3 {
			t.Errorf("the music drops out at %.1f s (RMS %g)", float64(at)/48000, r)
		}
	}
	if rep.Peak > math.Pow(10, -1.0/20) {
		t.Errorf("peak %.2f dBFS is above the -1 dBFS ceiling", 20*math.Log10(rep.Peak))
	}
}

// A track not analysed plays at its ReplayGain track gain, moved from the
// ReplayGain reference (-18 LUFS) to the target; one without the tag at
// media.UnanalyzedGainDB.
func TestRun_renderReplayGain(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	t.Setenv("ATTUNE_DATA_DIR", filepath.Join(dir, "data"))
	t.Setenv("ATTUNE_AUDIO_PAUSE_FADE", "200ms")
	tone := mediatest.Tone{SampleRate: 48000, Channels: 2, Samples: 48000 * 2, Freq: 440, Amp: 0.5}
	mediatest.WriteFile(t, dir, "plain.flac", mediatest.MustFLAC(t, tone))
	tone.Tags.TrackGain = "+3 dB"
	mediatest.WriteFile(t, dir, "tagged.flac", mediatest.MustFLAC(t, tone))
	tl := mediatest.WriteFile(t, dir, "t.json", []byte(`{"version": 1, "items": [
		{"track": "plain.flac", "start": "0s", "end": "2s"},
		{"track": "tagged.flac", "start": "2s", "end": "4s"}]}`))
	out := filepath.Join(dir, "out.wav")
	if code, _, stderr := attune(t, "render", "--timeline", tl, "--out", out); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, left := readWAV24(t, out)
	plain, tagged := maxAbs(left[48000:90000]), maxAbs(left[2*48000+6000:4*48000-6000])
	wantPlain, wantTagged := 0.5/unanalysedAmp(1), 0.5*math.Pow(10, 3.0/20)
	if math.Abs(plain-wantPlain) > 0.005 || math.Abs(tagged-wantTagged) > 0.005 {
		t.Errorf("peaks %.3f (no tag) and %.3f (ReplayGain +3 dB); want %.3f and %.3f", plain, tagged, wantPlain, wantTagged)
	}
	// At another target the tag's gain moves with it: -23 LUFS is 5 dB
	// below the reference.
	t.Setenv("ATTUNE_AUDIO_LOUDNESS_TARGET", "-23")
	if code, _, stderr := attune(t, "render", "--timeline", tl, "--out", out); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, left = readWAV24(t, out)
	if got, want := maxAbs(left[2*48000+6000:4*48000-6000]), 0.5*math.Pow(10, -2.0/20); math.Abs(got-want) > 0.005 {
		t.Errorf("target -23 LUFS: tagged peak %.3f, want %.3f (+3 - 5 dB)", got, want)
	}
}

// A soundscape item is synthesized, at its level, and the room's fades
// apply to it like to any track.
func TestRun_renderSoundscape(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	t.Setenv("ATTUNE_DATA_DIR", filepath.Join(dir, "data"))
	tlPath := mediatest.WriteFile(t, dir, "session.json", []byte(`{"version": 1, "items": [
		{"track": "synth:pink-noise", "start": "0s", "end": "6s", "fade_out": "1s", "phase": "settling"}
	]}`))
	out := filepath.Join(dir, "session.wav")
	if code, _, stderr := attune(t, "render", "--timeline", tlPath, "--out", out); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	_, left := readWAV24(t, out)
	if got := 20 * math.Log10(rms(left[int(2.5*48000):int(4.5*48000)])); math.Abs(got-synth.Level) > 1 {
		t.Errorf("pink noise after the start fade: %.1f dBFS RMS, want %.0f ±1", got, synth.Level)
	}
	if first, steady := rms(left[:480]), rms(left[int(2.5*48000):int(4.5*48000)]); first > steady/100 {
		t.Errorf("first 10 ms: RMS %g against %g steady, want the start fade from silence", first, steady)
	}
}
