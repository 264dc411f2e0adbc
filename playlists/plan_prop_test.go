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
func checkPhases(tb testing.TB, pr Planner, plan Plan, now time.Duration, fresh bool) {
	tb.Helper()
	items := plan.Items
	for k, pp := range plan.Phases {
		ph, _ := pr.Playlist.Phase(pp.Role)
		c := ph.CrossfadeOrDefault()
		var mine []Item
		for _, it := range items {
			if it.Phase == pp.Role {
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
			for _, x := range all {
				if !x.must {
					continue
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
			if !silent && !atEnd {
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
			checkPhases(t, pr, plan, 0, true)
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
