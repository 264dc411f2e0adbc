package session

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"attune/playlists"
)

const m = time.Minute

var t0 = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

// testPlaylist has every role, with tracks of 3–7 minutes.
func testPlaylist() (playlists.Playlist, playlists.TrackMap) {
	tracks := playlists.TrackMap{}
	phase := func(r playlists.Role, n int, fill playlists.Fill) playlists.Phase {
		p := playlists.Phase{Role: r, Fill: fill, Crossfade: 6 * time.Second}
		for i := range n {
			id := fmt.Sprintf("%s-%d", r, i+1)
			tracks[id] = playlists.TrackInfo{Duration: 3*m + time.Duration(i*37%240)*time.Second}
			p.Tracks = append(p.Tracks, playlists.Entry{Track: id})
		}
		return p
	}
	pl := playlists.Playlist{Name: "Test arc", Phases: []playlists.Phase{
		phase(playlists.RoleArrival, 3, playlists.FillLoop),
		phase(playlists.RoleSettling, 5, playlists.FillPinkNoise),
		phase(playlists.RoleJourney, 12, playlists.FillDrone),
		phase(playlists.RoleReturn, 6, playlists.FillSilence),
		phase(playlists.RoleIntegration, 20, playlists.FillLoop),
	}}
	return pl, tracks
}

var therapist = Who{Role: "therapist", Device: "console"}
var patient = Who{Role: RolePatient, Device: "tablet"}

func newCore(t *testing.T) *Core {
	t.Helper()
	pl, tracks := testPlaylist()
	prof := playlists.DefaultProfiles()[0]
	c, acts, e, err := New("Room 1", pl, prof, tracks, Limits{PatientMinDB: -30, PatientMaxDB: -6, SkipFade: 4 * time.Second}, -12, therapist, t0)
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != KindStart || len(acts) != 3 || acts[1].Op != OpLoad || acts[2].Op != OpPlay || len(acts[1].Timeline.Items) == 0 {
		t.Fatalf("new session: entry %+v, actions %+v; want the arrival music loaded and played", e, acts)
	}
	if acts[1].Timeline.Items[0].Phase != "arrival" {
		t.Errorf("first item's phase %q, want arrival", acts[1].Timeline.Items[0].Phase)
	}
	return c
}

func apply(t *testing.T, c *Core, cmd Command, at time.Time) []Action {
	t.Helper()
	acts, e, err := c.Apply(cmd, at)
	if err != nil {
		t.Fatalf("%s at %s: %v", cmd.Kind, at.Sub(t0), err)
	}
	if e.Kind != cmd.Kind {
		t.Errorf("entry kind %q, want %q", e.Kind, cmd.Kind)
	}
	return acts
}

// journeyStart is when the plan's first journey item starts.
func journeyStart(t *testing.T, c *Core) time.Duration {
	t.Helper()
	for _, it := range c.Plan().Items {
		if it.Phase == playlists.RoleJourney {
			return it.Start
		}
	}
	t.Fatal("the plan has no journey")
	return 0
}

func TestCore_doseAndPause(t *testing.T) {
	c := newCore(t)
	dosedAt := t0.Add(10 * m)
	acts := apply(t, c, Command{Kind: KindDose, Who: therapist, Back: 30 * time.Second}, dosedAt)
	if len(acts) != 1 || acts[0].Op != OpCrossfade || acts[0].At != 30*time.Second || acts[0].Fade != playlists.DefaultTransition {
		t.Fatalf("dose: actions %+v; want a crossfade into the plan at 30s over the transition", acts)
	}
	if got := c.Record().DosedAt; !got.Equal(dosedAt.Add(-30 * time.Second)) {
		t.Errorf("dosed at %s, want back-dated by 30 s", got)
	}
	onset := c.Record().Boundaries.Onset
	if got := journeyStart(t, c); got != onset {
		t.Errorf("journey starts at %s, want the planned onset %s", got, onset)
	}

	// Pause 3 minutes after the dose for 2 minutes: the paused track
	// resumes where it stopped and the journey still starts on the onset.
	dose := c.Record().DosedAt
	var before playlists.Item
	for _, it := range c.Plan().Items {
		if it.Start <= 3*m && 3*m < it.End {
			before = it
		}
	}
	if acts := apply(t, c, Command{Kind: KindPause, Who: patient}, dose.Add(3*m)); len(acts) != 1 || acts[0].Op != OpPause {
		t.Fatalf("pause: %+v", acts)
	}
	if _, e, _ := c.Apply(Command{Kind: KindPause, Who: patient}, dose.Add(3*m+time.Second)); e.Detail != "already paused" {
		t.Errorf("second pause: detail %q", e.Detail)
	}
	acts = apply(t, c, Command{Kind: KindResume, Who: patient}, dose.Add(5*m))
	if len(acts) != 2 || acts[0].Op != OpLoad || acts[0].At != 5*m || acts[1].Op != OpResume {
		t.Fatalf("resume: %+v; want load at 5m then resume", acts)
	}
	first := c.Plan().Items[0]
	wantOffset := before.Offset + 3*m - before.Start
	if first.Track != before.Track || first.Start != 5*m || first.Offset != wantOffset {
		t.Errorf("after resume the plan starts with %s at %s offset %s; want %s at 5m offset %s", first.Track, first.Start, first.Offset, before.Track, wantOffset)
	}
	if got := journeyStart(t, c); got != onset {
		t.Errorf("after the pause the journey starts at %s, want still %s", got, onset)
	}
}

func TestCore_skip(t *testing.T) {
	c := newCore(t)
	apply(t, c, Command{Kind: KindDose, Who: therapist}, t0)
	var cur playlists.Item
	for _, it := range c.Plan().Items {
		if it.Start <= 2*m && 2*m < it.End {
			cur = it
		}
	}
	acts := apply(t, c, Command{Kind: KindSkip, Who: patient}, t0.Add(2*m))
	if len(acts) != 1 || acts[0].Op != OpCrossfade || acts[0].At != 2*m || acts[0].Fade != 4*time.Second {
		t.Fatalf("skip: %+v; want a 4 s crossfade at 2m", acts)
	}
	for _, it := range c.Plan().Items {
		if it.Phase == cur.Phase && it.Track == cur.Track {
			t.Errorf("the skipped track %s is still planned at %s", cur.Track, it.Start)
		}
	}
	if first := c.Plan().Items[0]; first.Start != 2*m {
		t.Errorf("after the skip the next item starts at %s, want 2m", first.Start)
	}
	if got, want := journeyStart(t, c), c.Record().Boundaries.Onset; got != want {
		t.Errorf("after the skip the journey starts at %s, want %s", got, want)
	}
}

func TestCore_onset(t *testing.T) {
	c := newCore(t)
	apply(t, c, Command{Kind: KindDose, Who: therapist}, t0)
	planned := c.Record().Boundaries
	// Early: during settling, the journey crossfades in now.
	acts := apply(t, c, Command{Kind: KindOnset, Who: therapist}, t0.Add(9*m))
	if len(acts) != 1 || acts[0].Op != OpCrossfade || acts[0].At != 9*m {
		t.Fatalf("early onset: %+v", acts)
	}
	b := c.Record().Boundaries
	if b.Onset != 9*m || b.EffectEnd != planned.EffectEnd-(planned.Onset-9*m) {
		t.Errorf("boundaries after onset at 9m: %+v (planned %+v)", b, planned)
	}
	if got := journeyStart(t, c); got != 9*m {
		t.Errorf("journey starts at %s, want 9m", got)
	}
	if _, _, err := c.Apply(Command{Kind: KindOnset, Who: patient}, t0.Add(10*m)); !errors.Is(err, ErrForbidden) {
		t.Errorf("onset by a patient: got %v, want ErrForbidden", err)
	}
}

func TestCore_lateOnsetAndExtend(t *testing.T) {
	c := newCore(t)
	apply(t, c, Command{Kind: KindDose, Who: therapist}, t0)
	planned := c.Record().Boundaries
	now := planned.Onset + 90*time.Second
	acts := apply(t, c, Command{Kind: KindOnset, Who: therapist}, t0.Add(now))
	if len(acts) != 1 || acts[0].Op != OpReplace || acts[0].At < now+ReplaceLead {
		t.Fatalf("late onset: %+v; want a seamless replace at least %s ahead", acts, ReplaceLead)
	}
	if got := c.Record().Boundaries.EffectEnd; got != planned.EffectEnd+90*time.Second {
		t.Errorf("effect end %s, want moved by 90 s to %s", got, planned.EffectEnd+90*time.Second)
	}

	// Extend the journey by 5 minutes: what sounds at the swap point is
	// the same in the old and the new plan.
	old := c.Plan()
	now += 3 * m
	acts = apply(t, c, Command{Kind: KindExtend, Who: therapist, Phase: playlists.RoleJourney, By: 5 * m}, t0.Add(now))
	if len(acts) != 1 || acts[0].Op != OpReplace {
		t.Fatalf("extend: %+v", acts)
	}
	at := acts[0].At
	was, is := itemAt(old.Items, at), itemAt(c.Plan().Items, at)
	if was == nil || is == nil || was.Track != is.Track || was.Offset-was.Start != is.Offset-is.Start || was.GainDB != is.GainDB {
		t.Errorf("at the swap point %s: old plan %+v, new %+v; want the same track at the same place", at, was, is)
	}
	if in(at, was.Start, was.Start+was.FadeIn) || in(at, was.End-was.FadeOut, was.End) {
		t.Errorf("swap point %s is inside a fade of %+v", at, was)
	}
	if got := c.Record().Boundaries.EffectEnd; got != planned.EffectEnd+90*time.Second+5*m {
		t.Errorf("effect end %s after extending by 5m", got)
	}
	if _, _, err := c.Apply(Command{Kind: KindShorten, Who: therapist, Phase: playlists.RoleJourney}, t0.Add(now)); !errors.Is(err, ErrBadArgs) {
		t.Errorf("shorten by 0: got %v, want ErrBadArgs", err)
	}
}

func in(t, a, b time.Duration) bool { return t >= a && t < b }

func itemAt(items []playlists.Item, t time.Duration) *playlists.Item {
	for i := len(items) - 1; i >= 0; i-- {
		if items[i].Start <= t && t < items[i].End {
			return &items[i]
		}
	}
	return nil
}

// A relative volume command steps from the session's level; a patient's
// step stays within the range and never moves the level the other way.
func TestCore_volumeRelative(t *testing.T) {
	c := newCore(t) // -12 dB; the patient's range is -30…-6
	for _, tc := range []struct {
		name string
		who  Who
		step float64
		want float64
	}{
		{"patient softer", patient, -3, -15},
		{"patient louder", patient, 6, -9},
		{"patient louder past the top", patient, 6, -6},
		{"patient louder at the top", patient, 3, -6},
		{"therapist louder above the range", therapist, 4, -2},
		{"patient louder from above the range", patient, 3, -2},
		{"patient softer from above the range", patient, -3, -6},
		{"therapist far below the range", therapist, -40, -46},
		{"patient softer from below the range", patient, -3, -46},
		{"patient louder from below the range", patient, 3, -30},
		{"therapist past full scale", therapist, 60, 0},
		{"therapist past the floor", therapist, -80, -80},
	} {
		acts := apply(t, c, Command{Kind: KindVolume, Who: tc.who, DB: tc.step, Relative: true}, t0.Add(m))
		if got := c.Record().VolumeDB; got != tc.want || acts[0].DB != tc.want {
			t.Errorf("%s (%+g dB): got %v dB (action %v), want %v", tc.name, tc.step, got, acts[0].DB, tc.want)
		}
	}
	if _, _, err := c.Apply(Command{Kind: KindVolume, Who: therapist, DB: 100, Relative: true}, t0.Add(m)); !errors.Is(err, ErrBadArgs) {
		t.Errorf("a +100 dB step: got %v, want ErrBadArgs", err)
	}
	_, e, err := c.Apply(Command{Kind: KindVolume, Who: therapist, DB: 10, Relative: true}, t0.Add(m))
	if err != nil || e.Detail != "-70.0 dB" {
		t.Errorf("entry detail %q (%v), want the new level -70.0 dB", e.Detail, err)
	}
}

func TestCore_volumeAndRoles(t *testing.T) {
	c := newCore(t)
	acts := apply(t, c, Command{Kind: KindVolume, Who: patient, DB: -3}, t0.Add(m))
	if acts[0].DB != -6 || c.Record().VolumeDB != -6 {
		t.Errorf("patient asks -3 dB: got %v, want clamped to the range's -6", acts[0].DB)
	}
	if acts := apply(t, c, Command{Kind: KindVolume, Who: therapist, DB: -3}, t0.Add(m)); acts[0].DB != -3 {
		t.Errorf("therapist -3 dB: got %v", acts[0].DB)
	}
	if _, _, err := c.Apply(Command{Kind: KindVolume, Who: therapist, DB: 6}, t0.Add(m)); !errors.Is(err, ErrBadArgs) {
		t.Errorf("+6 dB: got %v", err)
	}
	if _, _, err := c.Apply(Command{Kind: KindOnset, Who: therapist}, t0.Add(m)); !errors.Is(err, ErrNotDosed) {
		t.Errorf("onset before the dose: got %v", err)
	}
	if _, _, err := c.Apply(Command{Kind: KindEnd, Who: patient}, t0.Add(m)); !errors.Is(err, ErrForbidden) {
		t.Errorf("end by a patient: got %v", err)
	}
	before := c.Record()
	if _, _, err := c.Apply(Command{Kind: KindDose, Who: therapist, Back: time.Hour}, t0.Add(m)); !errors.Is(err, ErrBadArgs) {
		t.Errorf("dosed an hour ago: got %v", err)
	}
	if after := c.Record(); after.Status != before.Status || !after.DosedAt.IsZero() {
		t.Errorf("a refused dose changed the record: %+v", after)
	}
}

func TestCore_endAndRecover(t *testing.T) {
	c := newCore(t)
	apply(t, c, Command{Kind: KindDose, Who: therapist}, t0)
	apply(t, c, Command{Kind: KindQuiet, Who: patient, On: true}, t0.Add(20*m))

	// The daemon dies; a new one restores the stored record 30 s later.
	pl, tracks := testPlaylist()
	_ = pl
	r, err := Restore(c.Record(), tracks, Limits{SkipFade: 4 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	acts, e := r.Recover(t0.Add(20*m + 30*time.Second))
	if e.Kind != KindRecovered {
		t.Errorf("entry %+v", e)
	}
	var load *Action
	quiet := false
	for i, a := range acts {
		switch a.Op {
		case OpLoad:
			load = &acts[i]
		case OpQuiet:
			quiet = a.On
		case OpPlay:
			if load == nil {
				t.Error("play before load")
			}
		}
	}
	if load == nil || load.At != 20*m+30*time.Second || !quiet {
		t.Fatalf("recover: %+v; want quiet kept and the plan loaded at 20m30s", acts)
	}
	if got, want := itemAt(r.Plan().Items, load.At), itemAt(c.Plan().Items, load.At); got == nil || got.Track != want.Track {
		t.Errorf("recovered plan plays %+v at 20m30s, want %+v", got, want)
	}

	// Observation ends: Tick ends the session; a restart after that closes it.
	if _, _, changed := c.Tick(t0.Add(119 * m)); changed {
		t.Error("tick before the end of observation changed the session")
	}
	acts, e, changed := c.Tick(t0.Add(120 * m))
	if !changed || len(acts) != 1 || acts[0].Op != OpStop || e.Kind != KindEnd || c.Record().Status != StatusEnded {
		t.Errorf("tick at 120m: %v %+v %+v", changed, acts, e)
	}
	if _, _, err := c.Apply(Command{Kind: KindPause, Who: therapist}, t0.Add(121*m)); !errors.Is(err, ErrEnded) {
		t.Errorf("pause after the end: got %v", err)
	}
	r2, _ := Restore(r.Record(), tracks, Limits{})
	if acts, e := r2.Recover(t0.Add(3 * time.Hour)); len(acts) != 0 || e.Kind != KindEnd || r2.Record().Status != StatusEnded {
		t.Errorf("recover after observation: %+v %+v", acts, e)
	}
}
