package playlists

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestPlanner_Plan_errors(t *testing.T) {
	lib := TrackMap{"a": {Duration: 5 * time.Minute}, "z": {}}
	pl := Playlist{Name: "p", Phases: []Phase{{Role: RoleSettling, Tracks: []Entry{{Track: "a"}}}}}
	good := DefaultProfiles()[0].Planned()
	tests := []struct {
		name string
		pr   Planner
		b    Boundaries
		cur  Cursor
		want string
	}{
		{"unknown track", Planner{Playlist: Playlist{Name: "p", Phases: []Phase{{Role: RoleJourney, Tracks: []Entry{{Track: "a"}, {Track: "nope"}}}}}, Tracks: lib}, good, Cursor{}, `phase journey, track 2 "nope": not in the library`},
		{"no duration", Planner{Playlist: Playlist{Name: "p", Phases: []Phase{{Role: RoleJourney, Tracks: []Entry{{Track: "z"}}}}}, Tracks: lib}, good, Cursor{}, `track 1 "z": duration 0s`},
		{"order", Planner{Playlist: pl, Tracks: lib}, Boundaries{Onset: 20 * time.Minute, EffectEnd: 10 * time.Minute, ReturnEnd: 30 * time.Minute, ObserveUntil: time.Hour}, Cursor{}, "the effect ends before the onset"},
		{"before dose", Planner{Playlist: pl, Tracks: lib}, good, Cursor{Now: -time.Second}, "before the dose"},
		{"invalid playlist", Planner{Playlist: Playlist{Name: "p"}, Tracks: lib}, good, Cursor{}, "no phases"},
		{"no lookup", Planner{Playlist: pl}, good, Cursor{}, "no track lookup"},
		{"sounding elsewhere", Planner{Playlist: pl, Tracks: lib}, good, Cursor{Now: time.Minute, Sounding: &Item{Phase: RoleReturn, Track: "a"}}, "has no phase return"},
		{"sounding wrong track", Planner{Playlist: pl, Tracks: lib}, good, Cursor{Now: time.Minute, Sounding: &Item{Phase: RoleSettling, Entry: 0, Track: "b"}}, "not a track of that phase"},
		{"sounding ended", Planner{Playlist: pl, Tracks: lib}, good, Cursor{Now: 6 * time.Minute, Sounding: &Item{Phase: RoleSettling, Track: "a"}}, "the track ended at 5m0s"},
		{"played out of range", Planner{Playlist: pl, Tracks: lib}, good, Cursor{Played: map[Role][]int{RoleSettling: {3}}}, "played entry 4: phase settling has 1 tracks"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.pr.Replan(tc.b, tc.cur)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	_, err := Planner{Playlist: pl, Tracks: lib}.Plan(Boundaries{Onset: -1, ObserveUntil: time.Hour})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("bad boundaries: got %v, want ErrInvalid", err)
	}
}

func TestPlanner_Plan_mustPlayAndCut(t *testing.T) {
	m := time.Minute
	lib := TrackMap{"long": {Duration: 20 * m}, "a": {Duration: 4 * m}, "b": {Duration: 5 * m}, "must": {Duration: 3 * m}}
	pl := Playlist{Name: "p", Phases: []Phase{
		{Role: RoleSettling, Tracks: []Entry{{Track: "a"}, {Track: "b"}, {Track: "must", MustPlay: true}}},
		{Role: RoleJourney, Tracks: []Entry{{Track: "long"}}},
	}}
	b := Boundaries{Onset: 10 * m, EffectEnd: 15 * m, ReturnEnd: 15 * m, ObserveUntil: 15 * m}
	plan, err := Planner{Playlist: pl, Tracks: lib}.Plan(b)
	if err != nil {
		t.Fatal(err)
	}
	checkItems(t, lib, plan.Items)
	var got []string
	for _, it := range plan.Items {
		got = append(got, fmt.Sprintf("%s %s–%s", it.Track, it.Start, it.End))
	}
	// a (4m) + must (3m) − 8s = 6m52s and b + must = 7m52s are both short of
	// 10m8s; a + b + must = 11m44s is 1m36s over, closer: all three, the
	// last cut at the boundary plus the handover. The 20-minute journey
	// track fades out at the end of observation.
	want := []string{"a 0s–4m0s", "b 3m52s–8m52s", "must 8m44s–10m8s", "long 10m0s–15m0s"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("got %v, want %v", got, want)
	}
	if pp, _ := plan.Phase(RoleSettling); pp.FitError != 96*time.Second {
		t.Errorf("settling fit error %s, want +1m36s (cut)", pp.FitError)
	}
	if last := plan.Items[len(plan.Items)-1]; last.FadeOut != DefaultCrossfade {
		t.Errorf("last item fades out over %s, want %s at the end of observation", last.FadeOut, DefaultCrossfade)
	}
}

func TestPlanner_Arrival(t *testing.T) {
	lib := TrackMap{"a": {Duration: 3 * time.Minute, GainDB: -2}, "b": {Duration: 2 * time.Minute}}
	pl := Playlist{Name: "p", Phases: []Phase{
		{Role: RoleArrival, Tracks: []Entry{{Track: "a"}, {Track: "b"}}, LevelDB: -3},
		{Role: RoleSettling},
	}}
	pr := Planner{Playlist: pl, Tracks: lib}
	items, err := pr.Arrival(12 * time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	checkItems(t, lib, items)
	var seq []string
	for _, it := range items {
		seq = append(seq, it.Track)
	}
	if got := strings.Join(seq, " "); !strings.HasPrefix(got, "a b a b a") {
		t.Errorf("arrival order %q, want the tracks looping in order", got)
	}
	if items[0].Start != 0 || items[0].FadeIn == 0 || items[0].GainDB != -5 {
		t.Errorf("first item %+v: want a fade-in from 0 at gain -5 dB", items[0])
	}
	if last := items[len(items)-1]; last.End != 12*time.Minute || last.FadeOut == 0 {
		t.Errorf("last item %+v: want a fade-out ending at 12m", last)
	}
	if none, err := (Planner{Playlist: Playlist{Name: "p", Phases: []Phase{{Role: RoleJourney}}}, Tracks: lib}).Arrival(time.Minute); err != nil || none != nil {
		t.Errorf("no arrival phase: got %v, %v; want nothing", none, err)
	}
}

func TestBoundaries_JumpTo(t *testing.T) {
	m := time.Minute
	b := Boundaries{Onset: 12 * m, EffectEnd: 50 * m, ReturnEnd: 70 * m, ObserveUntil: 120 * m}
	tests := []struct {
		r    Role
		now  time.Duration
		want Boundaries
	}{
		{RoleJourney, 8 * m, Boundaries{8 * m, 46 * m, 66 * m, 120 * m}},
		{RoleJourney, 15 * m, Boundaries{15 * m, 53 * m, 73 * m, 120 * m}},
		{RoleReturn, 30 * m, Boundaries{12 * m, 30 * m, 50 * m, 120 * m}},
		{RoleReturn, 5 * m, Boundaries{5 * m, 5 * m, 25 * m, 120 * m}},
		{RoleIntegration, 110 * m, Boundaries{12 * m, 50 * m, 110 * m, 120 * m}},
		{RoleSettling, 60 * m, Boundaries{72 * m, 110 * m, 120 * m, 120 * m}},
	}
	for _, tc := range tests {
		got, err := b.JumpTo(tc.r, tc.now)
		if err != nil || got != tc.want {
			t.Errorf("JumpTo(%s, %s) = %+v, %v; want %+v", tc.r, tc.now, got, err, tc.want)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("JumpTo(%s, %s): %v", tc.r, tc.now, err)
		}
	}
	if _, err := b.JumpTo(RoleArrival, m); err == nil {
		t.Error("JumpTo(arrival): got no error")
	}
}

func TestBoundaries_Extend(t *testing.T) {
	m := time.Minute
	b := Boundaries{Onset: 12 * m, EffectEnd: 50 * m, ReturnEnd: 70 * m, ObserveUntil: 120 * m}
	tests := []struct {
		r    Role
		d    time.Duration
		now  time.Duration
		want Boundaries
	}{
		{RoleJourney, 5 * m, 20 * m, Boundaries{12 * m, 55 * m, 75 * m, 120 * m}},
		{RoleJourney, -40 * m, 20 * m, Boundaries{12 * m, 20 * m, 30 * m, 120 * m}},
		{RoleSettling, 3 * m, 5 * m, Boundaries{15 * m, 53 * m, 73 * m, 120 * m}},
		{RoleReturn, 60 * m, 60 * m, Boundaries{12 * m, 50 * m, 120 * m, 120 * m}},
		{RoleIntegration, 30 * m, 100 * m, Boundaries{12 * m, 50 * m, 70 * m, 150 * m}},
	}
	for _, tc := range tests {
		got, err := b.Extend(tc.r, tc.d, tc.now)
		if err != nil || got != tc.want {
			t.Errorf("Extend(%s, %s, now %s) = %+v, %v; want %+v", tc.r, tc.d, tc.now, got, err, tc.want)
		}
	}
}

// TestPlanner_Replan_pauseKeepsBoundary pauses the journey's first track
// for five minutes and checks that the return still begins on time.
func TestPlanner_Replan_pauseKeepsBoundary(t *testing.T) {
	lib := goldenLibrary()
	pl := goldenPlaylists()[0]
	pr := Planner{Playlist: pl, Tracks: lib}
	b := DefaultProfiles()[0].Planned()
	plan, err := pr.Plan(b)
	if err != nil {
		t.Fatal(err)
	}
	var first Item
	for _, it := range plan.Items {
		if it.Phase == RoleJourney {
			first = it
			break
		}
	}
	pauseAt, resume := first.Start+3*time.Minute, first.Start+8*time.Minute
	ti, _ := lib.TrackInfo(first.Track)
	snd := first
	snd.Start, snd.Offset, snd.FadeIn, snd.FadeOut = resume, pauseAt-first.Start, 2*time.Second, 0
	snd.End = resume + ti.Duration - snd.Offset
	next, err := pr.Replan(b, Cursor{Now: resume, Sounding: &snd, Played: map[Role][]int{RoleJourney: {first.Entry}}})
	if err != nil {
		t.Fatal(err)
	}
	checkItems(t, lib, next.Items)
	for _, it := range next.Items {
		if it.Phase == RoleReturn {
			if it.Start != b.EffectEnd {
				t.Errorf("return starts at %s after a 5-minute pause, want %s", it.Start, b.EffectEnd)
			}
			return
		}
	}
	t.Error("no return item after the pause")
}
