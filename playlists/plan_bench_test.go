package playlists

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// benchPlanner is a 200-track playlist: 40 settling, 80 journey, 40
// return and 40 integration tracks of 2–10 minutes, some must-play.
func benchPlanner() Planner {
	rng := rand.New(rand.NewPCG(9, 10))
	lib := TrackMap{}
	pl := Playlist{Name: "bench"}
	for _, p := range []struct {
		r Role
		n int
	}{{RoleSettling, 40}, {RoleJourney, 80}, {RoleReturn, 40}, {RoleIntegration, 40}} {
		ph := Phase{Role: p.r, Fill: FillPinkNoise}
		for j := range p.n {
			id := fmt.Sprintf("%s-%d", p.r, j)
			lib[id] = TrackInfo{Duration: time.Duration(1200+rng.IntN(4800)) * time.Second / 10}
			ph.Tracks = append(ph.Tracks, Entry{Track: id, MustPlay: j%17 == 3})
		}
		pl.Phases = append(pl.Phases, ph)
	}
	return Planner{Playlist: pl, Tracks: lib}
}

// BenchmarkPlanner_Replan re-plans a 200-track playlist from the middle of
// a settling track (every later phase is fitted again): the live session
// does this on every command. The budget is 5 ms.
func BenchmarkPlanner_Replan(b *testing.B) {
	pr := benchPlanner()
	bs := DefaultProfiles()[0].Planned()
	plan, err := pr.Plan(bs)
	if err != nil {
		b.Fatal(err)
	}
	snd := plan.Items[1]
	cur := Cursor{Now: snd.Start + time.Minute, Sounding: &snd, Played: map[Role][]int{RoleSettling: {plan.Items[0].Entry, snd.Entry}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pr.Replan(bs, cur); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlanner_Plan plans the same playlist from the dose.
func BenchmarkPlanner_Plan(b *testing.B) {
	pr := benchPlanner()
	bs := DefaultProfiles()[0].Planned()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pr.Plan(bs); err != nil {
			b.Fatal(err)
		}
	}
}
