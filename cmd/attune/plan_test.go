package main

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"attune/media"
	"attune/media/mediatest"
	"attune/playlists"
)

// planConfig is a config file with a short profile, so that a planned
// session fits tracks of seconds: onset at 1m30s, effect to 2m30s, return to
// 3m30s, observation to 5m.
const planConfig = `profiles:
  - name: quick
    onset: {min: 1m, max: 2m}
    effect: {min: 1m, max: 1m}
    return: {min: 1m, max: 1m}
    observe_until: 5m
`

// planLibrary imports four generated tracks (20 s to 40 s, 8 kHz mono to
// keep them small) and a four-phase playlist over them, "Quick arc", whose
// profile is quick. It returns the --config flag to pass.
func planLibrary(t *testing.T) []string {
	t.Helper()
	isolate(t)
	src := t.TempDir()
	t.Setenv("ATTUNE_DATA_DIR", filepath.Join(t.TempDir(), "data"))
	for i, tr := range []struct {
		title string
		secs  int
	}{{"Dawn", 20}, {"Drift", 25}, {"Deep", 30}, {"Home", 40}} {
		tone := mediatest.Tone{SampleRate: 8000, Channels: 1, BitDepth: 16, Samples: 8000 * tr.secs, Freq: 220 * float64(i+1)}
		tone.Tags = mediatest.Tags{Title: tr.title, Artist: "Test Ensemble"}
		mediatest.WriteFile(t, src, strings.ToLower(tr.title)+".wav", mediatest.WAV(tone))
	}
	if code, _, errOut := attune(t, "library", "add", src); code != exitOK {
		t.Fatalf("library add: exit %d: %s", code, errOut)
	}
	cfg := mediatest.WriteFile(t, src, "attune.yaml", []byte(planConfig))
	file := mediatest.WriteFile(t, src, "quick.yaml", []byte(`name: Quick arc
profile: quick
phases:
  - role: settling
    crossfade: 2s
    fill: brown-noise
    tracks: [Test Ensemble – Dawn, Test Ensemble – Drift]
  - role: journey
    crossfade: 3s
    level_db: -2
    tracks:
      - Test Ensemble – Deep
      - {ref: Test Ensemble – Home, must_play: true}
  - role: return
    crossfade: 2s
    fill: silence
    tracks: [Test Ensemble – Drift]
  - role: integration
    crossfade: 2s
    fill: loop
    tracks: [Test Ensemble – Dawn, Test Ensemble – Home]
`))
	if code, _, errOut := attune(t, "playlist", "import", "--config", cfg, file); code != exitOK {
		t.Fatalf("playlist import: exit %d: %s", code, errOut)
	}
	return []string{"--config", cfg}
}

// planOf runs attune plan --json and decodes its output.
func planOf(t *testing.T, args ...string) planJSON {
	t.Helper()
	code, stdout, errOut := attune(t, append([]string{"plan", "--json"}, args...)...)
	if code != exitOK {
		t.Fatalf("plan %v: exit %d: %s", args, code, errOut)
	}
	var p planJSON
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatalf("plan --json is not JSON: %v\n%s", err, stdout)
	}
	return p
}

func dur(t testing.TB, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("%q is not a Go duration: %v", s, err)
	}
	return d
}

// checkTimeline checks the JSON plan by the engine's rules: items in order
// of start, at most two at once, every overlap a crossfade equal to the
// outgoing fade-out and the incoming fade-in; and that the journey's first
// item starts within 5 s of onset.
func checkTimeline(t *testing.T, p planJSON, onset time.Duration) {
	t.Helper()
	if len(p.Items) == 0 {
		t.Fatal("no items")
	}
	journey := false
	for i, it := range p.Items {
		start, end := dur(t, it.Start), dur(t, it.End)
		if end <= start || dur(t, it.Duration) != end-start {
			t.Errorf("item %d: start %s end %s duration %s", i, it.Start, it.End, it.Duration)
		}
		if it.Phase == "journey" && !journey {
			journey = true
			if off := start - onset; off < -5*time.Second || off > 5*time.Second {
				t.Errorf("journey starts at %s, want %s ±5s", start, onset)
			}
		}
		if i == 0 {
			continue
		}
		prev := p.Items[i-1]
		if ps := dur(t, prev.Start); start < ps {
			t.Errorf("item %d starts at %s, before item %d (%s)", i, start, i-1, ps)
		}
		if overlap := dur(t, prev.End) - start; overlap > 0 {
			if dur(t, prev.FadeOut) != overlap || dur(t, it.FadeIn) != overlap {
				t.Errorf("items %d and %d overlap by %s with fades out %s, in %s", i-1, i, overlap, prev.FadeOut, it.FadeIn)
			}
		}
		if i >= 2 && dur(t, p.Items[i-2].End) > start {
			t.Errorf("items %d, %d and %d sound at once", i-2, i-1, i)
		}
	}
	if !journey {
		t.Error("no journey item")
	}
}

func TestRun_plan(t *testing.T) {
	cfg := planLibrary(t)

	code, stdout, errOut := attune(t, append(append([]string{"plan"}, cfg...), "Quick arc")...)
	if code != exitOK {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"Quick arc — profile quick (onset 1m–2m, effect 1m–1m, return 1m–1m, observe until 5m)",
		"onset +1:30.0, effect ends +2:30.0, return ends +3:30.0, observation ends +5:00.0 (planned",
		"\nsettling +0:00.0 – +1:30.0, ",
		"\njourney +1:30.0 – +2:30.0, ",
		"\nreturn +2:30.0 – +3:30.0, ",
		"\nintegration +3:30.0 – +5:00.0, ",
		"  +1:30.0  ", // the journey's first item, on the onset
		"Test Ensemble – Home",
		"brown noise (soundscape)",
		"fade in 3s, out",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan output lacks %q:\n%s", want, stdout)
		}
	}

	p := planOf(t, append(cfg, "Quick arc")...)
	if p.Playlist != "Quick arc" || p.Profile != "quick" || p.Boundaries.Onset != "1m30s" || p.Boundaries.ObserveUntil != "5m0s" {
		t.Errorf("plan header: %+v", p)
	}
	var roles []string
	for _, ph := range p.Phases {
		roles = append(roles, ph.Role)
		dur(t, ph.FitError)
	}
	if got := strings.Join(roles, " "); got != "settling journey return integration" {
		t.Errorf("phases %q, want settling journey return integration", got)
	}
	checkTimeline(t, p, 90*time.Second)
	for _, it := range p.Items {
		if it.Phase == "journey" && it.Track != "" && it.GainDB != -2 {
			t.Errorf("journey item %s gain %v dB, want the phase's level, -2", it.Label, it.GainDB)
		}
		if it.Track == "" && it.Fill == "" {
			t.Errorf("item %+v has neither a track nor a fill", it)
		}
	}
}

// --onset moves the journey and every later boundary; --profile replaces
// the playlist's.
func TestRun_planOnset(t *testing.T) {
	cfg := planLibrary(t)
	p := planOf(t, append(cfg, "Quick arc", "--onset", "2m10s")...)
	if p.Boundaries.Onset != "2m10s" || p.Boundaries.EffectEnd != "3m10s" || p.Boundaries.ReturnEnd != "4m10s" {
		t.Errorf("boundaries %+v, want onset 2m10s, effect end 3m10s, return end 4m10s", p.Boundaries)
	}
	checkTimeline(t, p, 130*time.Second)
	for _, ph := range p.Phases {
		if ph.Role == "journey" && (ph.Start != "2m10s" || ph.End != "3m10s") {
			t.Errorf("journey window %s–%s, want 2m10s–3m10s", ph.Start, ph.End)
		}
	}
	_, text, _ := attune(t, append(append([]string{"plan"}, cfg...), "Quick arc", "--onset", "2m10s")...)
	if !strings.Contains(text, "\njourney +2:10.0 – +3:10.0, ") || !strings.Contains(text, "the onset as given") {
		t.Errorf("plan --onset output:\n%s", text)
	}

	// The built-in intranasal profile: onset at 12m30s. Four tracks of
	// seconds cannot fill it, so the fills and the loop carry it.
	p = planOf(t, append(cfg, "Quick arc", "--profile", "intranasal")...)
	if p.Profile != "intranasal" || p.Boundaries.Onset != "12m30s" || p.Boundaries.ObserveUntil != "2h0m0s" {
		t.Errorf("--profile intranasal: %+v", p.Boundaries)
	}
	checkTimeline(t, p, 750*time.Second)
}

func TestRun_planErrors(t *testing.T) {
	cfg := planLibrary(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"plan"}, "name one playlist"},
		{[]string{"plan", "a", "b"}, "name one playlist"},
		{[]string{"plan", "No such arc"}, "no such playlist"},
		{[]string{"plan", "Quick arc", "--profile", "oral"}, `no profile "oral" (have intranasal, intramuscular, intravenous, sublingual, quick`},
		{[]string{"plan", "Quick arc", "--onset", "12"}, `--onset: "12" is not a duration with a unit`},
		{[]string{"plan", "Quick arc", "--onset", "soon"}, `--onset: "soon" is not a duration with a unit`},
		{[]string{"plan", "Quick arc", "--onset", "-1m"}, "--onset: -1m is before the dose"},
		{[]string{"plan", "Quick arc", "--onset", "6m"}, "--onset 6m: invalid jump to journey at 6m0s"},
		{[]string{"plan", "Quick arc", "--nope"}, "flag provided but not defined: -nope"},
	} {
		code, _, errOut := attune(t, append(append([]string{"plan"}, cfg...), tt.args[1:]...)...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, errOut, tt.want)
		}
	}
	// The playlist's own profile, when the configuration no longer has it.
	if code, _, errOut := attune(t, "plan", "Quick arc"); code != exitUsage || !strings.Contains(errOut, `no profile "quick"`) {
		t.Errorf("plan without the config: exit %d, %s; want 2 naming the profile", code, errOut)
	}

	// Tracks whose files are gone: an error naming each track and phase.
	media := filepath.Join(os.Getenv("ATTUNE_DATA_DIR"), "media")
	if err := filepath.WalkDir(media, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".wav") {
			err = os.Remove(path)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := attune(t, append(append([]string{"plan"}, cfg...), "Quick arc")...)
	for _, want := range []string{`playlist "Quick arc" cannot be planned`,
		"phase 1 (settling), track 1: track Test Ensemble – Dawn (", "its file is missing",
		"phase 2 (journey), track 2: track Test Ensemble – Home", "phase 4 (integration), track 2"} {
		if code != exitFailure || !strings.Contains(errOut, want) {
			t.Errorf("plan over missing files: exit %d, stderr lacks %q:\n%s", code, want, errOut)
		}
	}
}

// fakeLibrary is a trackGetter over a map.
type fakeLibrary map[string]media.Track

func (f fakeLibrary) Track(_ context.Context, id string) (media.Track, error) {
	if t, ok := f[id]; ok {
		return t, nil
	}
	return media.Track{}, media.ErrNotFound
}

func TestLoadPlaylistTracks(t *testing.T) {
	file := mediatest.WriteFile(t, t.TempDir(), "a.wav", []byte("x"))
	stream := media.Stream{SampleRate: 48000, Samples: 48000 * 90}
	lib := fakeLibrary{
		"ok":       {ID: "ok", Path: file, Info: media.Info{Stream: stream, Tags: media.Tags{Artist: "A", Title: "T"}}},
		"nofile":   {ID: "nofile", Info: media.Info{Stream: stream}},
		"gone":     {ID: "gone", Path: file + ".gone", Info: media.Info{Stream: stream}},
		"nolength": {ID: "nolength", Path: file},
	}
	pl := playlists.Playlist{Name: "x", Phases: []playlists.Phase{
		{Role: playlists.RoleArrival, Tracks: []playlists.Entry{{Track: "ok"}}},
		{Role: playlists.RoleJourney, Tracks: []playlists.Entry{{Track: "ok"}, {Track: "ok"}}},
	}}
	tr, err := loadPlaylistTracks(context.Background(), lib, pl)
	if err != nil {
		t.Fatal(err)
	}
	if info, ok := tr.TrackInfo("ok"); !ok || info.Duration != 90*time.Second || info.GainDB != 0 {
		t.Errorf("TrackInfo(ok) = %+v, %v; want 1m30s at 0 dB", info, ok)
	}
	if _, ok := tr.TrackInfo("other"); ok {
		t.Error("TrackInfo(other) found a track the playlist does not have")
	}
	if got := tr.Label("ok"); got != "A – T" {
		t.Errorf("Label(ok) = %q", got)
	}

	pl.Phases[1].Tracks = []playlists.Entry{{Track: "ok"}, {Track: "missing"}, {Track: "nofile"}, {Track: "gone"}, {Track: "nolength"}}
	_, err = loadPlaylistTracks(context.Background(), lib, pl)
	for _, want := range []string{"phase 2 (journey), track 2: track missing is not in the library",
		"phase 2 (journey), track 3: track nofile is in the library but its file is missing",
		"phase 2 (journey), track 4: track gone: its file is missing: " + file + ".gone",
		"phase 2 (journey), track 5: track nolength: its length is unknown"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
