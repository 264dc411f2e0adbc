package room_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"attune/player/room"
	"attune/player/session"
	"attune/playlists"
)

var (
	therapist = session.Who{Role: "therapist", Device: "console"}
	patient   = session.Who{Role: session.RolePatient, Device: "tablet"}
)

// waitSound waits until the speaker hears the music (peak above -40 dBFS)
// or, with !on, silence (below -80 dBFS) over a fresh stretch of blocks.
func waitSound(t *testing.T, c *capSink, on bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	c.take()
	for {
		time.Sleep(100 * time.Millisecond)
		peak, frames := c.take()
		if frames > 0 && (on && peak > 0.01 || !on && peak < 1e-4) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the speaker's peak is still %.4g", what, peak)
		}
	}
}

// A session's whole life in a room: every step shows in the states
// OnChange gets and in State, and its log reaches OnEntry in order.
func TestRoom_sessionLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir(), nil)
	r := f.room
	if err := r.Do(ctx, session.Command{Kind: session.KindPause, Who: therapist}); !errors.Is(err, session.ErrNoSession) {
		t.Errorf("pause without a session: got %v, want ErrNoSession", err)
	}
	if st := r.State(); st.Session != nil || st.Engine != "stopped" || st.VolumeDB != -12 {
		t.Errorf("idle room: session %+v, engine %q, volume %v; want none, stopped, -12", st.Session, st.Engine, st.VolumeDB)
	}
	r.SetShowTitles(true)
	f.waitState(t, "titles shown", func(s room.State) bool { return s.ShowTitles })

	// Start: the arrival music plays until the dose; titles hidden again.
	if err := r.Start(ctx, testPlaylist(), playlists.DefaultProfiles()[0], therapist); err != nil {
		t.Fatal(err)
	}
	st := r.State()
	if s := st.Session; s == nil || s.Status != "arrival" || s.Phase != "arrival" || s.Playlist != "Arc" ||
		s.Clock != 0 || !s.DosedAt.IsZero() || s.Sounding != -1 || st.ShowTitles {
		t.Fatalf("after start: %+v, session %+v; want arrival, titles hidden", st, st.Session)
	}
	f.waitState(t, "the arrival music playing", func(s room.State) bool { return s.Engine == "playing" && s.Session != nil })
	waitSound(t, f.speaker, true, "arrival")

	// Dose: the plan on the drug clock, settling sounding.
	f.clk.add(2 * time.Minute)
	if err := r.Do(ctx, session.Command{Kind: session.KindDose, Who: therapist}); err != nil {
		t.Fatal(err)
	}
	s := f.waitState(t, "the dose", func(s room.State) bool { return s.Session != nil && s.Session.Status == "running" }).Session
	if s.DosedAt.IsZero() || len(s.Items) == 0 || s.Sounding != 0 || s.Phase != "settling" || len(s.Phases) != 3 {
		t.Fatalf("after the dose: %+v", s)
	}
	if it := s.Items[0]; it.Track != "a" || it.Title != "Title a" || it.Artist != "Artist a" || it.Phase != "settling" {
		t.Errorf("first item %+v, want track a with its title, in settling", it)
	}
	if sp := s.Phases[0]; sp.Role != "settling" || sp.Start != 0 || sp.End != s.Boundaries.Onset {
		t.Errorf("first phase span %+v, want settling from 0 to the onset %s", sp, s.Boundaries.Onset)
	}

	// Onset 5 minutes in: the journey starts now.
	f.clk.add(5 * time.Minute)
	if err := r.Do(ctx, session.Command{Kind: session.KindOnset, Who: therapist}); err != nil {
		t.Fatal(err)
	}
	s = r.State().Session
	if s.Boundaries.Onset != 5*time.Minute || s.Clock != 5*time.Minute || s.Phase != "journey" {
		t.Errorf("after onset at +5:00: onset %s, clock %s, phase %q; want 5m, 5m, journey", s.Boundaries.Onset, s.Clock, s.Phase)
	}
	if s.Phases[1].Start != 5*time.Minute {
		t.Errorf("journey span %+v, want it to start at 5m", s.Phases[1])
	}

	// Pause: silence, the engine paused, nothing sounding; the drug clock runs on.
	if err := r.Do(ctx, session.Command{Kind: session.KindPause, Who: patient}); err != nil {
		t.Fatal(err)
	}
	s = f.waitState(t, "the pause", func(s room.State) bool { return s.Engine == "paused" && s.Session.Paused }).Session
	if s.Sounding != -1 || s.PausedAt != 5*time.Minute {
		t.Errorf("paused: sounding %d, paused at %s; want -1, 5m", s.Sounding, s.PausedAt)
	}
	waitSound(t, f.speaker, false, "paused")
	f.clk.add(time.Minute)
	if s := r.State().Session; s.Clock != 6*time.Minute {
		t.Errorf("a minute into the pause the clock says %s, want 6m (the drug acts on)", s.Clock)
	}
	if err := r.Do(ctx, session.Command{Kind: session.KindResume, Who: patient}); err != nil {
		t.Fatal(err)
	}
	s = f.waitState(t, "the resume", func(s room.State) bool { return s.Engine == "playing" && !s.Session.Paused }).Session
	if s.Sounding < 0 || s.Items[s.Sounding].Phase != "journey" {
		t.Errorf("resumed: sounding %d of %+v, want a journey item", s.Sounding, s.Items)
	}
	waitSound(t, f.speaker, true, "resumed")
	before := s.Items[s.Sounding].Track
	if err := r.Do(ctx, session.Command{Kind: session.KindSkip, Who: patient}); err != nil {
		t.Fatal(err)
	}
	if s := r.State().Session; s.Sounding < 0 || s.Items[s.Sounding].Track == before {
		t.Errorf("after skipping %s: sounding %d of %+v", before, s.Sounding, s.Items)
	}

	// End: no session; the engine fades to a stop and the room stays up.
	if err := r.Do(ctx, session.Command{Kind: session.KindEnd, Who: therapist}); err != nil {
		t.Fatal(err)
	}
	f.waitState(t, "the end", func(s room.State) bool { return s.Session == nil && s.Engine == "stopped" })
	waitSound(t, f.speaker, false, "ended")

	want := []string{"start", "dose", "onset", "pause", "resume", "skip", "end"}
	if got := f.kinds(); !slices.Equal(got, want) {
		t.Errorf("OnEntry got %q, want %q", got, want)
	}
	f.mu.Lock()
	items := 0
	for i, e := range f.entries {
		if e.Session == 0 {
			t.Errorf("entry %+v without its session's id", e)
		}
		if want := int64(i + 1); e.Seq != want {
			t.Errorf("entry %d (%s): Seq = %d, want %d (numbered as the stored log)", i, e.Kind, e.Seq, want)
		}
		if e.Kind == session.KindItem {
			items++
		}
	}
	f.mu.Unlock()
	if items == 0 {
		t.Error("OnEntry got no item entries from the engine")
	}
}

// A patient's softer/louder steps from the session's level and stays in
// the range, which the therapist can change.
func TestRoom_patientVolume(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir(), nil)
	r := f.room
	if err := r.Start(ctx, testPlaylist(), playlists.DefaultProfiles()[0], therapist); err != nil {
		t.Fatal(err)
	}
	step := func(db, want float64) {
		t.Helper()
		if err := r.Do(ctx, session.Command{Kind: session.KindVolume, Who: patient, DB: db, Relative: true}); err != nil {
			t.Fatal(err)
		}
		if got := r.State().VolumeDB; got != want {
			t.Errorf("patient steps %+g dB: volume %v, want %v", db, got, want)
		}
	}
	step(-3, -15)
	step(6, -9)
	step(6, -6) // the range's top
	for _, bad := range [][2]float64{{-6, -30}, {-90, -6}, {-3, 3}} {
		if err := r.SetPatientRange(bad[0], bad[1]); err == nil {
			t.Errorf("SetPatientRange(%v, %v): got nil error", bad[0], bad[1])
		}
	}
	if err := r.SetPatientRange(-40, -20); err != nil {
		t.Fatal(err)
	}
	if st := r.State(); st.PatientMinDB != -40 || st.PatientMaxDB != -20 {
		t.Errorf("range in State %v…%v, want -40…-20", st.PatientMinDB, st.PatientMaxDB)
	}
	step(-3, -20) // softer from above the new range: down to its top
	step(-30, -40)
	step(3, -37)
}

// SetTrim and SetCeiling change the state; bad ones change nothing.
func TestRoom_SetTrim(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir(), nil)
	r := f.room
	before := r.State()
	for _, tc := range []struct {
		output string
		db     float64
	}{{"headphones", -6}, {"speaker", 3}, {"null", -100}} {
		if err := r.SetTrim(ctx, tc.output, tc.db); err == nil {
			t.Errorf("SetTrim(%q, %v): got nil error", tc.output, tc.db)
		}
	}
	if err := r.SetTrim(ctx, "headphones", -6); !errors.Is(err, room.ErrUnknownOutput) {
		t.Errorf("SetTrim of an unknown output: got %v, want ErrUnknownOutput", err)
	}
	for _, db := range []float64{0, 1, -61} {
		if err := r.SetCeiling(ctx, db); err == nil {
			t.Errorf("SetCeiling(%v): got nil error", db)
		}
	}
	if got := r.State(); !slices.Equal(got.Outputs, before.Outputs) || got.CeilingDB != before.CeilingDB {
		t.Fatalf("after refused changes: outputs %+v, ceiling %v; want %+v, %v", got.Outputs, got.CeilingDB, before.Outputs, before.CeilingDB)
	}
	if err := r.SetTrim(ctx, "speaker", -9); err != nil {
		t.Fatal(err)
	}
	if err := r.SetCeiling(ctx, -6); err != nil {
		t.Fatal(err)
	}
	st := f.waitState(t, "the new trim and ceiling", func(s room.State) bool { return s.CeilingDB == -6 && s.Outputs[0].TrimDB == -9 })
	if st.Outputs[1].TrimDB != 0 {
		t.Errorf("the null output's trim moved to %v", st.Outputs[1].TrimDB)
	}
}

// A speaker that cannot be opened leaves the room playing on its other
// outputs, and State says it is down; an optional one is off.
func TestRoom_missingSpeaker(t *testing.T) {
	ctx := context.Background()
	cap := &capSink{}
	f := newFixture(t, t.TempDir(), func(c *room.Config) {
		c.Outputs = []room.Output{
			{Name: "speaker", Type: room.TypeSpeaker, Device: "hw:9"},
			{Name: "headphones", Type: room.TypeSpeaker, Device: "hw:8", Optional: true},
			{Name: "rec", Type: room.TypeSpeaker, Device: "hw:0"},
		}
		c.OpenSpeaker = speakers{"hw:0": cap}.open
	})
	st := f.room.State()
	if o := st.Outputs[0]; o.Status != room.StatusDown || !strings.Contains(o.Err, "no such ALSA device") {
		t.Errorf("missing speaker: %+v, want down with the reason", o)
	}
	if o := st.Outputs[1]; o.Status != room.StatusOff {
		t.Errorf("missing optional speaker: %+v, want off", o)
	}
	if o := st.Outputs[2]; o.Status != room.StatusOK {
		t.Errorf("working speaker: %+v, want ok", o)
	}
	if err := f.room.Start(ctx, testPlaylist(), playlists.DefaultProfiles()[0], therapist); err != nil {
		t.Fatal(err)
	}
	waitSound(t, cap, true, "the other speaker")
	if o := f.room.State().Outputs[0]; o.Status != room.StatusDown {
		t.Errorf("missing speaker after retries: %+v, want down", o)
	}
	if err := f.room.SetTrim(ctx, "headphones", -3); err != nil {
		t.Errorf("trim of an output that is off: %v", err)
	}
}

// New refuses a configuration it cannot play, naming the output.
func TestNew_badOutputs(t *testing.T) {
	base := func() room.Config {
		return room.Config{Name: "Room 1", Opener: sineOpener{}, Store: openStore(t, t.TempDir()+"/a.db"),
			Tracks: func(context.Context, playlists.Playlist) (playlists.Tracks, error) { return nil, nil }}
	}
	for _, tc := range []struct {
		outs []room.Output
		want string
	}{
		{[]room.Output{{Name: "x", Type: "cassette"}}, `output "x" (cassette): unknown output type`},
		{[]room.Output{{Name: "rec", Type: room.TypeFile, Path: "/nonexistent/dir/a.wav"}}, `output "rec" (file)`},
		{[]room.Output{{Name: "n", Type: room.TypeNull}, {Name: "n", Type: room.TypeNull}}, `output "n" configured twice`},
		{[]room.Output{{Name: "n", Type: room.TypeNull, TrimDB: 2}}, `output "n": trim 2 dB`},
	} {
		cfg := base()
		cfg.Outputs = tc.outs
		if _, err := room.New(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New with %+v: got %v, want an error with %q", tc.outs, err, tc.want)
		}
	}
	cfg := base()
	cfg.Outputs = []room.Output{{Name: "rec", Type: room.TypeFile, Path: "/nonexistent/dir/a.wav", Optional: true}}
	r, err := room.New(cfg)
	if err != nil {
		t.Fatalf("an optional output that fails: %v", err)
	}
	if st := r.State(); st.Outputs[0].Status != room.StatusOff || r.Stream() != nil {
		t.Errorf("optional file output that fails: %+v, stream %v; want off, none", st.Outputs[0], r.Stream())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Run(ctx); err != nil {
		t.Errorf("Run: %v", err)
	}
}

// Run stops every goroutine it started, fades out and closes the outputs.
func TestRoom_Run_stops(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir(), func(c *room.Config) { c.PauseFade = 2 * time.Second })
	if err := f.room.Start(ctx, testPlaylist(), playlists.DefaultProfiles()[0], therapist); err != nil {
		t.Fatal(err)
	}
	waitSound(t, f.speaker, true, "playing")
	start := time.Now()
	if err := f.stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("Run returned %s after its context ended (pause fade 2 s)", time.Since(start).Round(time.Millisecond))
	if n := f.speaker.closes(); n != 1 {
		t.Errorf("the speaker was closed %d times, want 1", n)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		n, base := runtime.NumGoroutine(), f.goroutines
		if n <= base {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left after Run, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
		}
	}
	if err := f.room.Do(ctx, session.Command{Kind: session.KindPause, Who: therapist}); err == nil {
		t.Error("a command after Run returned: got nil error")
	}
}

// A session live in the store when the room starts is carried on.
func TestRoom_recovery(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := newFixture(t, dir, nil)
	if err := f.room.Start(ctx, testPlaylist(), playlists.DefaultProfiles()[0], therapist); err != nil {
		t.Fatal(err)
	}
	if err := f.room.Do(ctx, session.Command{Kind: session.KindDose, Who: therapist}); err != nil {
		t.Fatal(err)
	}
	id := f.room.State().Session.ID
	if err := f.stop(); err != nil {
		t.Fatal(err)
	}

	g := newFixture(t, dir, func(c *room.Config) { c.Now = func() time.Time { return f.clk.now().Add(3 * time.Minute) } })
	s := g.waitState(t, "the recovered session", func(s room.State) bool { return s.Session != nil && s.Engine == "playing" }).Session
	if s.ID != id || s.Status != "running" || s.Clock < 3*time.Minute || s.Sounding < 0 {
		t.Errorf("recovered: %+v; want session %d running at +3:00 with an item sounding", s, id)
	}
	waitSound(t, g.speaker, true, "recovered")
	if got := g.kinds(); len(got) == 0 || got[0] != session.KindRecovered {
		t.Errorf("OnEntry after recovery: %q, want recovered first", got)
	}
}
