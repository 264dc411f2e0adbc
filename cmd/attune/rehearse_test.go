package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"attune/media/mediatest"
)

// goertzel is the amplitude of frequency f in x around second s of a signal
// at rate (a quarter-second window).
func goertzel(x []float64, rate int, s, f float64) float64 {
	n := rate / 4
	i0 := int(s*float64(rate)) - n/2
	if i0 < 0 || i0+n > len(x) {
		return 0
	}
	w := 2 * math.Pi * f / float64(rate)
	var s1, s2 float64
	for i := range n {
		s0 := x[i0+i] + 2*math.Cos(w)*s1 - s2
		s2, s1 = s1, s0
	}
	return 2 * math.Sqrt(s1*s1+s2*s2-2*math.Cos(w)*s1*s2) / float64(n)
}

// planFreqs are the sines of planLibrary's tracks, by label.
var planFreqs = map[string]float64{
	"Test Ensemble – Dawn": 220, "Test Ensemble – Drift": 440, "Test Ensemble – Deep": 660, "Test Ensemble – Home": 880,
}

// A whole session rehearsed offline with scripted events: the report's
// actual starts come from the engine and match the rendered samples, the
// journey starts at the marked onset and return on its moved boundary, and
// the log holds every event on the drug clock.
func TestRun_renderPlaylist(t *testing.T) {
	cfg := planLibrary(t)
	t.Setenv("ATTUNE_AUDIO_SAMPLE_RATE", "8000")
	t.Setenv("ATTUNE_AUDIO_PAUSE_FADE", "500ms")
	dir := t.TempDir()
	events := mediatest.WriteFile(t, dir, "events.json", []byte(`[
		{"at": "20s", "do": "pause", "role": "patient"},
		{"at": "30s", "do": "resume", "role": "patient"},
		{"at": "1m", "do": "onset"},
		{"at": "3m", "do": "volume", "db": -20}
	]`))
	out := filepath.Join(dir, "session.wav")
	args := append([]string{"render", "--json", "--playlist", "Quick arc", "--events", events, "--out", out}, cfg...)
	code, stdout, stderr := attune(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	var rep sessionRenderJSON
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("the report is not JSON: %v\n%s", err, stdout)
	}
	if rep.Profile != "quick" || rep.Boundaries.Onset != "1m0s" || rep.Boundaries.EffectEnd != "2m0s" || rep.Boundaries.ObserveUntil != "5m0s" {
		t.Errorf("profile %q, boundaries %+v; want quick, onset 1m0s (marked), effect end 2m0s, observation 5m0s", rep.Profile, rep.Boundaries)
	}
	if len(rep.Phases) != 4 || rep.Phases[1].Role != "journey" || rep.Phases[1].Start != "1m0s" {
		t.Errorf("phases %+v; want four, the journey from 1m0s", rep.Phases)
	}
	rate, left := readWAV24(t, out)
	if want := 8000 * (300*2 + 1) / 2; rate != 8000 || len(left) != want {
		t.Errorf("%d samples at %d Hz; want %d (to the end of observation and its 500 ms fade)", len(left), rate, want)
	}
	// Each phase's first item: actual start where the drug clock says, and
	// audible in the file from there on.
	first := map[string]renderedItemJSON{}
	for _, it := range rep.Items {
		if _, ok := first[it.Phase]; !ok {
			first[it.Phase] = it
		}
		if it.Error != "" {
			t.Errorf("item %+v failed", it)
		}
	}
	// Heard after its fade in: the dose fades in over the pause fade, the
	// marked onset crossfades over the playlist's 20 s transition, return
	// comes in on the journey's 3 s crossfade.
	for _, tc := range []struct {
		phase string
		at    time.Duration
		heard float64 // seconds after its start
	}{{"settling", 0, 5}, {"journey", time.Minute, 22}, {"return", 2 * time.Minute, 5}} {
		it, ok := first[tc.phase]
		if !ok {
			t.Errorf("no %s item started; items %+v", tc.phase, rep.Items)
			continue
		}
		started := dur(t, it.Started)
		if d := started - tc.at; d < -5*time.Second || d > 5*time.Second {
			t.Errorf("%s starts at %s, want %s ±5s", tc.phase, it.Started, tc.at)
		}
		f, ok := planFreqs[it.Track]
		if !ok {
			continue // a soundscape
		}
		// A 0.5 sine (about -9 LUFS) normalized to -18 LUFS, at the room's
		// -12 dB volume, sounds at about 0.044; silence is 0.
		s := started.Seconds() + tc.heard
		if lvl := goertzel(left, rate, s, f); lvl < 0.03 {
			t.Errorf("%s's %s (%g Hz) at %.1f s: level %.3f, want it sounding", tc.phase, it.Track, f, s, lvl)
		}
	}
	// Paused from 20 s to 30 s: silence in between.
	if peak := maxAbs(left[22*rate : 28*rate]); peak > 1e-6 {
		t.Errorf("peak %g while paused, want silence", peak)
	}
	var kinds []string
	for _, e := range rep.Log {
		kinds = append(kinds, e.Kind+" "+e.Clock)
	}
	if got, want := strings.Join(kinds, ", "), "dose 0s, pause 20s, resume 30s, onset 1m0s, volume 3m0s, end 5m0s"; got != want {
		t.Errorf("log %q, want %q", got, want)
	}

	// The text report is a summary.
	code, stdout, stderr = attune(t, append([]string{"render", "--playlist", "Quick arc", "--events", events, "--out", out}, cfg...)...)
	if code != exitOK || !strings.Contains(stdout, "onset +1:00.0, effect ends +2:00.0") || !strings.Contains(stdout, "4 scripted events") {
		t.Errorf("text report: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestRun_renderPlaylistUsage(t *testing.T) {
	cfg := planLibrary(t)
	dir := t.TempDir()
	bad := mediatest.WriteFile(t, dir, "bad.json", []byte(`[{"at": "1m", "do": "dance"}]`))
	jump := mediatest.WriteFile(t, dir, "jump.json", []byte(`[{"at": "1m", "do": "jump", "phase": "arrival"}]`))
	out := filepath.Join(dir, "x.wav")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--playlist", "Quick arc", "--timeline", "t.json", "--out", out}, "give either --timeline"},
		{[]string{"--timeline", "t.json", "--events", bad, "--out", out}, "give either --timeline"},
		{[]string{"--playlist", "Quick arc"}, "give either --timeline"},
		{[]string{"--playlist", "Nope", "--out", out}, "Nope"},
		{[]string{"--playlist", "Quick arc", "--profile", "nasal", "--out", out}, `no profile "nasal"`},
		{[]string{"--playlist", "Quick arc", "--events", bad, "--out", out}, `event 1: do "dance"`},
		{[]string{"--playlist", "Quick arc", "--events", jump, "--out", out}, "event jump at +01:00.0"},
	} {
		code, _, stderr := attune(t, append(append([]string{"render"}, tc.args...), cfg...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("render %v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
}
