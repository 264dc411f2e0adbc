package playlists

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestChoose_matchesBruteForce checks the dynamic programme against every
// subset of small random candidate lists: the total it keeps is as close to
// the target as any subset's, with the stated tie-breaks.
func TestChoose_matchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 2000 {
		k := 1 + rng.IntN(10)
		cands := make([]pick, k)
		for i := range cands {
			cands[i] = pick{w: 1 + rng.Int64N(60), must: rng.IntN(5) == 0}
		}
		target := rng.Int64N(300) - 20
		got := choose(cands, target, nil)
		gotSum, gotKey := sumKey(cands, got)
		best, bestKey := int64(-1), ""
		bestCost := int64(0)
		for mask := 1; mask < 1<<k; mask++ {
			keep := make([]bool, k)
			ok := true
			for i := range k {
				keep[i] = mask&(1<<i) != 0
				if cands[i].must && !keep[i] {
					ok = false
				}
			}
			if !ok {
				continue
			}
			s, key := sumKey(cands, keep)
			c := abs(s - target)
			if best < 0 || c < bestCost || (c == bestCost && (s < best || (s == best && key > bestKey))) {
				best, bestCost, bestKey = s, c, key
			}
		}
		if gotSum != best || gotKey != bestKey {
			t.Fatalf("case %d: cands %v target %d: got sum %d keep %s, want sum %d keep %s", n, cands, target, gotSum, gotKey, best, bestKey)
		}
	}
}

// sumKey returns the kept total and a key that sorts the earlier-kept set
// higher (keep = '1' first).
func sumKey(cands []pick, keep []bool) (int64, string) {
	var s int64
	key := make([]byte, len(keep))
	for i, k := range keep {
		key[i] = '0'
		if k {
			s += cands[i].w
			key[i] = '1'
		}
	}
	return s, string(key)
}

// randomSession builds a random playlist and library. Durations are whole
// tenths of a second (the fitting grid), so fits can be exact.
func randomSession(rng *rand.Rand) (Planner, Boundaries) {
	lib := TrackMap{}
	pl := Playlist{Name: "random"}
	fills := Fills()
	for _, r := range []Role{RoleArrival, RoleSettling, RoleJourney, RoleReturn, RoleIntegration} {
		if rng.IntN(8) == 0 {
			continue
		}
		ph := Phase{Role: r, Fill: fills[rng.IntN(len(fills))], LevelDB: -float64(rng.IntN(6))}
		if rng.IntN(2) == 0 {
			ph.Crossfade = time.Duration(2+rng.IntN(19)) * time.Second
		}
		for j := range rng.IntN(14) {
			id := fmt.Sprintf("%s-%d", r, j)
			lib[id] = TrackInfo{Duration: time.Duration(600+rng.IntN(6000)) * time.Second / 10, GainDB: -rng.Float64() * 8}
			ph.Tracks = append(ph.Tracks, Entry{Track: id, MustPlay: rng.IntN(8) == 0})
		}
		pl.Phases = append(pl.Phases, ph)
	}
	if len(pl.Phases) == 0 {
		pl.Phases = []Phase{{Role: RoleJourney}}
	}
	prof := DefaultProfiles()[rng.IntN(4)]
	b := prof.Planned()
	// The therapist may set each event anywhere in its window.
	b.Onset = prof.Onset.Min + time.Duration(rng.Int64N(int64(prof.Onset.Max-prof.Onset.Min)+1))
	b.EffectEnd = b.Onset + prof.Effect.Min + time.Duration(rng.Int64N(int64(prof.Effect.Max-prof.Effect.Min)+1))
	b.ReturnEnd = b.EffectEnd + prof.Return.Min + time.Duration(rng.Int64N(int64(prof.Return.Max-prof.Return.Min)+1))
	return Planner{Playlist: pl, Tracks: lib}, b
}

// checkPhases asserts the plan's promises phase by phase, for the items
// from now on: each phase's music begins at its boundary (later by at most
// a crossfade), must-play tracks play or are reported missed for a reason,
// and no gap is silent unless the phase's fill is silence (or there is
// nothing to loop).
func checkPhases(tb testing.TB, pr Planner, plan Plan, now time.Duration, fresh bool, played map[Role][]int, sounding *Item) {
	tb.Helper()
	if len(plan.Phases) == 0 {
		return // only an arrival: nothing on the drug clock
	}
	items := plan.Items
	for k, pp := range plan.Phases {
		ph, _ := pr.Playlist.Phase(pp.Role)
		c := ph.CrossfadeOrDefault()
		var mine []Item
		for _, it := range items {
			isSounding := sounding != nil && it.Start == sounding.Start && it.Entry == sounding.Entry && it.Phase == sounding.Phase
			if it.Phase == pp.Role && it.Start >= now && !isSounding {
				mine = append(mine, it)
			}
		}
		begin := max(pp.Start, now)
		if len(mine) > 0 && (k > 0 || fresh) {
			if d := mine[0].Start - begin; d < 0 || d > c {
				tb.Fatalf("phase %s: first item at %s, want %s…+%s", pp.Role, mine[0].Start, begin, c)
			}
		}
		if k > 0 || fresh {
			f := fitter{p: pr, win: window{role: pp.Role, phase: ph, start: pp.Start, end: pp.End}}
			all, _ := f.eligible()
			var mustW time.Duration
			for _, x := range all {
				if x.must {
					mustW += x.dur - c
				}
			}
			behind := slices.Max(append([]int{-1}, played[pp.Role]...))
			for _, x := range all {
				if !x.must || x.entry <= behind {
					continue // played before, or passed over in curated order
				}
				played := slices.ContainsFunc(mine, func(it Item) bool { return it.Entry == x.entry })
				if !played && !slices.Contains(pp.Missed, x.track) {
					tb.Fatalf("phase %s: must-play %s neither played nor reported missed", pp.Role, x.track)
				}
				if !played && mustW+c <= pp.End-pp.Start {
					tb.Fatalf("phase %s: must-play %s missed though the must-play tracks (%s) fit the window %s–%s", pp.Role, x.track, mustW+c, pp.Start, pp.End)
				}
			}
		}
	}
	// Gaps: every stretch of the drug clock from now to the end with no
	// item sounding must lie where silence is the policy.
	end := plan.Phases[len(plan.Phases)-1].End
	t := now
	for _, it := range append(slices.Clone(items), Item{Start: end}) {
		if it.Start > t {
			pp := phaseAt(plan, t)
			ph, _ := pr.Playlist.Phase(pp.Role)
			f := fitter{p: pr, win: window{role: pp.Role, phase: ph}}
			all, _ := f.eligible()
			silent := ph.FillOrDefault() == FillSilence || (ph.FillOrDefault() == FillLoop && len(all) == 0)
			atEnd := end-t <= ph.CrossfadeOrDefault() && it.Start == end
			// A skip in the last instant before a boundary leaves the rest
			// of that instant to the next phase.
			tiny := it.Start-t < grid
			if !silent && !atEnd && !tiny {
				tb.Fatalf("silent gap %s–%s in phase %s (fill %s)", t, it.Start, pp.Role, ph.FillOrDefault())
			}
		}
		t = max(t, it.End)
	}
}

func phaseAt(plan Plan, t time.Duration) PhasePlan {
	pp := plan.Phases[0]
	for _, p := range plan.Phases {
		if p.Start <= t {
			pp = p
		}
	}
	return pp
}

func TestPlanner_Plan_properties(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 400 {
		pr, b := randomSession(rng)
		plan, err := pr.Plan(b)
		if err != nil {
			t.Fatalf("case %d: %v", n, err)
		}
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			checkItems(t, pr.Tracks, plan.Items)
			checkPhases(t, pr, plan, 0, true, nil, nil)
			again, _ := pr.Plan(b)
			if !slices.EqualFunc(plan.Items, again.Items, func(a, b Item) bool { return a == b }) {
				t.Fatal("planning twice gave different plans")
			}
			// The journey starts at the onset when the settling phase
			// before it has music to hand over from.
			if _, ok := pr.Playlist.Phase(RoleSettling); ok {
				for _, it := range plan.Items {
					if it.Phase == RoleJourney {
						if d := it.Start - b.Onset; d < -5*time.Second || d > 5*time.Second {
							t.Fatalf("journey starts at %s, onset %s", it.Start, b.Onset)
						}
						break
					}
				}
			}
		})
	}
}

// TestPlanner_Plan_exactFit builds settling phases whose tracks can fill
// the window exactly and checks the fit is exact and the journey starts on
// the onset.
func TestPlanner_Plan_exactFit(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := range 200 {
		lib := TrackMap{}
		c := time.Duration(2+rng.IntN(15)) * time.Second
		onset := time.Duration(5+rng.IntN(20)) * time.Minute
		jc := DefaultCrossfade
		// Tracks that make the onset exactly: their contributions sum to
		// the window plus the handover, less one crossfade.
		var es []Entry
		left := onset + jc - c
		for i := 0; left > 0; i++ {
			w := min(left, time.Duration(1200+rng.IntN(3000))*time.Second/10)
			if left-w < 60*time.Second {
				w = left
			}
			id := fmt.Sprintf("fit%d", i)
			lib[id] = TrackInfo{Duration: w + c}
			es = append(es, Entry{Track: id})
			left -= w
			// decoys in between that do not fit
			if rng.IntN(2) == 0 {
				d := fmt.Sprintf("decoy%d", i)
				lib[d] = TrackInfo{Duration: time.Duration(3000+rng.IntN(3000))*time.Second/10 + 3*time.Second/10}
				es = append(es, Entry{Track: d})
			}
		}
		lib["j"] = TrackInfo{Duration: 10 * time.Minute}
		pl := Playlist{Name: "exact", Phases: []Phase{
			{Role: RoleSettling, Tracks: es, Crossfade: c},
			{Role: RoleJourney, Tracks: []Entry{{Track: "j"}}},
		}}
		b := Boundaries{Onset: onset, EffectEnd: onset + 40*time.Minute, ReturnEnd: onset + 60*time.Minute, ObserveUntil: 120 * time.Minute}
		plan, err := Planner{Playlist: pl, Tracks: lib}.Plan(b)
		if err != nil {
			t.Fatal(err)
		}
		pp, _ := plan.Phase(RoleSettling)
		if pp.FitError != 0 {
			t.Errorf("case %d: settling fit error %s, want 0 (an exact fit exists)", n, pp.FitError)
		}
		for _, it := range plan.Items {
			if it.Phase == RoleJourney {
				if it.Start != onset {
					t.Errorf("case %d: journey starts at %s, want the onset %s", n, it.Start, onset)
				}
				break
			}
		}
	}
}

// session simulates a live session for the re-plan properties: it keeps
// the plan, what has played, and applies random commands.
type session struct {
	pr     Planner
	b      Boundaries
	plan   Plan
	played map[Role][]int
	seen   map[Item]bool
}

// record notes every track that has started sounding by t.
func (s *session) record(t time.Duration) {
	for _, it := range s.plan.Items {
		if it.Start <= t && !it.Soundscape() && !s.seen[it] {
			s.seen[it] = true
			s.played[it.Phase] = append(s.played[it.Phase], it.Entry)
		}
	}
}

// sounding is the newest item sounding at t.
func (s *session) sounding(t time.Duration) *Item {
	var cur *Item
	for i, it := range s.plan.Items {
		if it.Start <= t && t < it.End {
			cur = &s.plan.Items[i]
		}
	}
	if cur == nil {
		return nil
	}
	c := *cur
	return &c
}

func TestPlanner_Replan_properties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	events := []string{"tick", "pause", "skip", "onset", "extend", "jump"}
	for n := range 150 {
		pr, b := randomSession(rng)
		plan, err := pr.Plan(b)
		if err != nil {
			t.Fatal(err)
		}
		s := &session{pr: pr, b: b, plan: plan, played: map[Role][]int{}, seen: map[Item]bool{}}
		now := time.Duration(0)
		for step := 0; ; step++ {
			now += time.Duration(10+rng.IntN(480)) * time.Second
			if now >= s.b.ObserveUntil {
				break
			}
			s.record(now)
			ev := events[rng.IntN(len(events))]
			snd := s.sounding(now)
			switch ev {
			case "pause":
				if snd == nil {
					break
				}
				pos := snd.Offset + (now - snd.Start)
				now += time.Duration(30+rng.IntN(300)) * time.Second
				if now >= s.b.ObserveUntil {
					snd = nil
					break
				}
				if snd.Soundscape() {
					pos = 0
				} else if ti, _ := pr.Tracks.TrackInfo(snd.Track); ti.Duration-pos < 5*time.Second {
					snd = nil // it was ending; the session moves on
					break
				}
				snd.Start, snd.Offset, snd.FadeIn, snd.FadeOut = now, pos, 2*time.Second, 0
				snd.End = now + time.Hour
				if ti, ok := pr.Tracks.TrackInfo(snd.Track); ok {
					snd.End = now + ti.Duration - pos
				}
			case "skip":
				if snd != nil && !snd.Soundscape() {
					s.played[snd.Phase] = append(s.played[snd.Phase], snd.Entry)
				}
				snd = nil
			case "onset":
				if now < s.b.Onset {
					s.b, err = s.b.OnsetNow(now)
				}
			case "extend":
				r := s.pr.currentRole(s.b, Cursor{Now: now})
				if r != RoleIntegration && r != "" {
					s.b, err = s.b.Extend(r, time.Duration(rng.IntN(21)-10)*time.Minute, now)
				}
			case "jump":
				roles := []Role{RoleSettling, RoleJourney, RoleReturn, RoleIntegration}
				s.b, err = s.b.JumpTo(roles[rng.IntN(len(roles))], now)
			}
			if err != nil {
				t.Fatalf("case %d step %d %s: %v", n, step, ev, err)
			}
			if now >= s.b.ObserveUntil {
				break
			}
			cur := Cursor{Now: now, Sounding: snd, Played: s.played}
			next, err := pr.Replan(s.b, cur)
			if err != nil {
				t.Fatalf("case %d step %d %s at %s: %v", n, step, ev, now, err)
			}
			where := fmt.Sprintf("case %d step %d %s at %s", n, step, ev, now)
			checkReplan(t, where, s, cur, next, ev == "tick")
			s.plan = next
		}
	}
}

func checkReplan(t *testing.T, where string, s *session, cur Cursor, next Plan, tick bool) {
	t.Helper()
	defer func() {
		if t.Failed() {
			t.Logf("%s: boundaries %+v\nold:\n%s\nnew:\n%s", where, s.b, formatPlan(s.plan), formatPlan(next))
			t.FailNow()
		}
	}()
	checkItems(t, s.pr.Tracks, next.Items)
	checkPhases(t, s.pr, next, cur.Now, false, s.played, cur.Sounding)
	items := next.Items
	if a := cur.Sounding; a != nil {
		if len(items) == 0 {
			t.Fatalf("%s: the sounding item is gone", where)
		}
		got := items[0]
		got.End, got.FadeOut = a.End, a.FadeOut
		if got != *a {
			t.Fatalf("%s: sounding item changed: got %+v, want %+v", where, items[0], *a)
		}
		if items[0].End <= cur.Now {
			t.Fatalf("%s: sounding item ends at %s, before now", where, items[0].End)
		}
		items = items[1:]
	}
	for _, it := range items {
		if it.Start < cur.Now {
			t.Fatalf("%s: item %+v starts before now", where, it)
		}
	}
	if !tick {
		return
	}
	if ph, _ := s.pr.Playlist.Phase(s.pr.currentRole(s.b, cur)); ph.FillOrDefault() == FillLoop {
		// A looping phase re-fitted from the middle of its last pass may
		// reach into a pass the plan before it did not offer (docs/planner.md).
		return
	}
	// Nothing changed: the future is the one already planned.
	var want []Item
	for _, it := range s.plan.Items {
		if it.Start >= cur.Now || (cur.Sounding != nil && it == *cur.Sounding) {
			want = append(want, it)
		}
	}
	if cur.Sounding == nil {
		want = slices.DeleteFunc(want, func(it Item) bool { return it.Start < cur.Now })
	}
	if !slices.Equal(next.Items, want) {
		t.Errorf("%s: a re-plan with nothing changed moved the future", where)
	}
}
