package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"attune/media/mediatest"
)

// wholeArc is a two-hour intranasal playlist over ../shared/corpus/music/whole,
// referenced by file path as a therapist's M3U would.
const wholeArc = `name: Whole arc
profile: intranasal
transition: 20s
phases:
  - role: settling
    crossfade: 8s
    fill: pink-noise
    tracks: [Awakening.ogg, Coherence.ogg, Chimes They Fade.ogg, Inevitable.ogg, Through Space.ogg]
  - role: journey
    crossfade: 12s
    fill: drone
    tracks:
      - A New Journey.ogg
      - Aberrations.ogg
      - {ref: Advanced Simulacra.ogg, must_play: true}
      - By-Product.ogg
      - Deprecation.ogg
      - Enemy Unknown.ogg
      - Media Threat.ogg
      - Nebula.ogg
  - role: return
    crossfade: 8s
    level_db: -3
    fill: brown-noise
    tracks: [Orbital Elevator.ogg, Apex Aleph.ogg, March Thee to Dis.ogg]
  - role: integration
    crossfade: 8s
    level_db: -6
    fill: loop
    tracks: [Chimes They Fade.ogg, Awakening.ogg, Coherence.ogg]
`

// The acceptance: a two-hour intranasal session of real music,
// rendered with scripted onset, pauses, skips, quiet and extend events; every
// boundary lands where the drug clock says, and pauses and quiet are silent.
func TestCorpus_twoHourSession(t *testing.T) {
	corpus := mediatest.Corpus(t)
	if raceEnabled {
		t.Skip("skipped under -race (two hours of Vorbis decoding); CI runs it without -race")
	}
	isolate(t)
	whole := filepath.Join(corpus, "music", "whole")
	t.Setenv("ATTUNE_DATA_DIR", filepath.Join(t.TempDir(), "data"))
	t.Setenv("ATTUNE_AUDIO_SAMPLE_RATE", "8000") // two hours of WAV: 350 MB at 8 kHz, 2 GB at 48 kHz
	if code, _, errOut := attune(t, "library", "add", "--no-analyze", whole); code != exitOK {
		t.Fatalf("library add: exit %d: %s", code, errOut)
	}
	// The playlist names the files by their paths, as a therapist's M3U does.
	dir := t.TempDir()
	yaml := wholeArc
	for _, name := range []string{"Awakening", "Coherence", "Chimes They Fade", "Inevitable", "Through Space", "A New Journey",
		"Aberrations", "Advanced Simulacra", "By-Product", "Deprecation", "Enemy Unknown", "Media Threat", "Nebula",
		"Orbital Elevator", "Apex Aleph", "March Thee to Dis"} {
		yaml = strings.ReplaceAll(yaml, name+".ogg", filepath.Join(whole, name+".ogg"))
	}
	plFile := mediatest.WriteFile(t, dir, "whole.yaml", []byte(yaml))
	if code, _, errOut := attune(t, "playlist", "import", plFile); code != exitOK {
		t.Fatalf("playlist import: exit %d: %s", code, errOut)
	}
	events := mediatest.WriteFile(t, dir, "events.json", []byte(`[
		{"at": "5m", "do": "pause", "role": "patient"},
		{"at": "7m", "do": "resume", "role": "patient"},
		{"at": "9m", "do": "skip", "role": "patient"},
		{"at": "11m", "do": "onset"},
		{"at": "30m", "do": "extend", "phase": "journey", "by": "5m"},
		{"at": "40m", "do": "quiet", "on": true},
		{"at": "43m", "do": "quiet", "on": false},
		{"at": "58m", "do": "skip", "role": "patient"},
		{"at": "62m", "do": "volume", "db": -18, "role": "patient"},
		{"at": "80m", "do": "pause", "role": "patient"},
		{"at": "83m", "do": "resume", "role": "patient"}
	]`))
	out := filepath.Join(dir, "session.wav")
	code, stdout, stderr := attune(t, "render", "--json", "--playlist", "Whole arc", "--events", events, "--out", out)
	if code != exitOK {
		t.Fatalf("render: exit %d; stderr:\n%s", code, stderr)
	}
	var rep sessionRenderJSON
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("the report is not JSON: %v", err)
	}
	// Onset marked at 11m (planned 12m30s): the journey and everything after
	// it moved 1m30s earlier; the journey was then extended by 5m.
	m := time.Minute
	want := map[string]time.Duration{"settling": 0, "journey": 11 * m, "return": 11*m + 37*m + 30*time.Second + 5*m,
		"integration": 11*m + 37*m + 30*time.Second + 5*m + 17*m + 30*time.Second}
	if got := dur(t, rep.Boundaries.Onset); got != want["journey"] {
		t.Errorf("onset boundary %s, want %s", got, want["journey"])
	}
	if got := dur(t, rep.Boundaries.EffectEnd); got != want["return"] {
		t.Errorf("effect-end boundary %s, want %s", got, want["return"])
	}
	if got := dur(t, rep.Boundaries.ObserveUntil); got != 120*m {
		t.Errorf("end of observation %s, want 2h", got)
	}
	first := map[string]time.Duration{}
	for _, it := range rep.Items {
		if it.Error != "" {
			t.Errorf("item %+v failed", it)
		}
		if _, ok := first[it.Phase]; !ok {
			first[it.Phase] = dur(t, it.Started)
		}
	}
	for phase, at := range want {
		got, ok := first[phase]
		if !ok {
			t.Errorf("no %s item started", phase)
			continue
		}
		if d := got - at; d < -5*time.Second || d > 5*time.Second {
			t.Errorf("%s's music starts at %s, want its boundary %s ±5 s", phase, got, at)
		}
	}
	// Pauses and quiet are silence while the drug clock runs; music around.
	rate, left := readWAV24(t, out)
	if len(left) < 120*60*rate {
		t.Fatalf("rendered %d samples, want two hours at %d Hz", len(left), rate)
	}
	for _, span := range [][2]time.Duration{{5*m + 3*time.Second, 7 * m}, {40*m + 3*time.Second, 43 * m}, {80*m + 3*time.Second, 83 * m}} {
		if p := maxAbs(left[int(span[0].Seconds())*rate : int(span[1].Seconds())*rate]); p > 1e-6 {
			t.Errorf("%s–%s (paused or quiet): peak %g, want silence", span[0], span[1], p)
		}
	}
	for _, at := range []time.Duration{3 * m, 20 * m, 50 * m, 65 * m, 100 * m} {
		i := int(at.Seconds()) * rate
		if p := maxAbs(left[i : i+10*rate]); p < 0.001 { // the quietest soundscape at the lowest volume is over 0.005
			t.Errorf("at %s: peak %g, want music", at, p)
		}
	}
	if rep.PeakDBFS > -1 {
		t.Errorf("peak %.2f dBFS above the -1 dBFS ceiling", rep.PeakDBFS)
	}
	var kinds []string
	for _, e := range rep.Log {
		kinds = append(kinds, e.Kind)
	}
	if got, want := strings.Join(kinds, " "), "dose pause resume skip onset extend quiet quiet skip volume pause resume end"; got != want {
		t.Errorf("log %q, want %q", got, want)
	}
}
