package playlists

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// maxPhaseItems bounds how many items one phase may plan: a loop of
// seconds-long tracks over hours is a mistake, not a session.
const maxPhaseItems = 20000

// never is the natural end of a soundscape: it plays until it is cut.
const never = time.Duration(math.MaxInt64 / 4)

// fitter fits one phase's window.
type fitter struct {
	p    Planner
	win  window
	last bool
	// xOut is the crossfade into the next phase; 0 for the last phase.
	xOut time.Duration
	// now is the re-plan's time: nothing new starts before it, even when
	// the sounding item is already fading out.
	now time.Duration
}

// cand is a track the phase may play.
type cand struct {
	entry int
	track string
	dur   time.Duration
	gain  float64
	must  bool
}

// eligible lists the phase's tracks that can be crossfaded (at least two
// crossfades long, so the fades in and out fit), and the must-play ones
// that cannot.
func (f fitter) eligible() (all []cand, missed []string) {
	c := f.win.phase.CrossfadeOrDefault()
	for j, e := range f.win.phase.Tracks {
		ti, _ := f.p.Tracks.TrackInfo(e.Track)
		if ti.Duration < 2*c || ti.Duration-c < grid {
			if e.MustPlay {
				missed = append(missed, e.Track)
			}
			continue
		}
		all = append(all, cand{entry: j, track: e.Track, dur: ti.Duration, gain: ti.GainDB, must: e.MustPlay})
	}
	return all, missed
}

// fresh fits the phase from start, where its first item fades in over xIn
// (a crossfade with the previous phase's last item when they overlap),
// leaving out what it has played.
func (f fitter) fresh(start, xIn time.Duration, played []int) ([]Item, PhasePlan, time.Duration, error) {
	all, missed := f.eligible()
	return f.fit(start, xIn, nil, f.rest(all, played, nil), all, missed)
}

// rest returns the tracks still to play, after those played and after the
// sounding item a (when it is one of the phase's tracks). Entries before
// them in curated order are behind us: curated order is kept. A loop goes
// on round from the last one played; otherwise nothing plays twice, and a
// must-play track that has played is not a must again.
func (f fitter) rest(all []cand, played []int, a *Item) []cand {
	loop := f.win.phase.FillOrDefault() == FillLoop
	after := -1
	for _, e := range played {
		after = max(after, e)
	}
	if loop && len(played) > 0 {
		after = played[len(played)-1]
	}
	if a != nil && a.Phase == f.win.role && !a.Soundscape() {
		if loop {
			after = a.Entry
		} else {
			after = max(after, a.Entry)
		}
	}
	rest := slices.DeleteFunc(slices.Clone(all), func(x cand) bool {
		return x.entry <= after || (!loop && slices.Contains(played, x.entry))
	})
	for i := range rest {
		rest[i].must = rest[i].must && !slices.Contains(played, rest[i].entry)
	}
	return rest
}

// current fits the phase Now falls in, around what is sounding.
func (f fitter) current(cur Cursor, now time.Duration) ([]Item, PhasePlan, time.Duration, error) {
	all, missed := f.eligible()
	c := f.win.phase.CrossfadeOrDefault()
	a := cur.Sounding
	rest := f.rest(all, cur.Played[f.win.role], a)
	switch {
	case a == nil:
		return f.fit(now, min(c, (f.win.end-now)/2), nil, rest, all, missed)
	case a.Phase == f.win.role:
		return f.fit(now, 0, a, rest, all, missed)
	}
	// The sounding item belongs to another phase: the boundary was moved
	// over it ("onset now", a jump, a shortened phase). It hands over to
	// this phase with the playlist's transition, as soon as its own fade-in
	// is done.
	out := *a
	if fading := a.End - a.FadeOut; a.FadeOut > 0 && fading <= now && fading >= a.Start+a.FadeIn && now < a.End && a.End < f.natural(*a) {
		// Already fading out (an earlier re-plan cut it): a fade is never
		// restarted, so this phase begins as it ends.
		items, pp, next, err := f.fit(a.End, min(c, max(f.win.end-a.End, 0)/2), nil, rest, all, missed)
		return append([]Item{out}, items...), pp, next, err
	}
	anchor := max(now, a.Start+a.FadeIn)
	x := min(f.p.Playlist.TransitionOrDefault(), max(f.win.end-anchor, 0)/2)
	out.End, out.FadeOut = f.natural(*a), 0 // a natural end needs no fade
	if cut := anchor + x; cut < out.End {
		out.End, out.FadeOut = cut, x
	}
	items, pp, next, err := f.fit(anchor, x, nil, rest, all, missed)
	return append([]Item{out}, items...), pp, next, err
}

// natural is where item it ends if nothing cuts it.
func (f fitter) natural(it Item) time.Duration {
	if it.Soundscape() {
		return never
	}
	ti, _ := f.p.Tracks.TrackInfo(it.Track)
	return it.Start + ti.Duration - it.Offset
}

// fit lays the phase's tracks from anchor: after the sounding item a when
// there is one, else with a first item fading in over xIn. cands are the
// tracks still to play in curated order; all are every eligible track, which
// a loop plays again. It returns the items, the phase's plan and where the
// next phase begins.
func (f fitter) fit(anchor, xIn time.Duration, a *Item, cands, all []cand, missed []string) ([]Item, PhasePlan, time.Duration, error) {
	ph := f.win.phase
	c := ph.CrossfadeOrDefault()
	pp := PhasePlan{Role: f.win.role, Start: f.win.start, End: f.win.end, Missed: missed}
	// The last phase fades out by the end of observation, as if into a
	// silent phase that begins one crossfade earlier.
	// Near the end, the fade is shortened to what is left after the
	// fade-in.
	end, xOut := f.win.end, f.xOut
	if f.last {
		base, in := max(f.win.start, anchor), time.Duration(0)
		if a != nil {
			base, in = max(f.win.start, a.Start), a.FadeIn
		}
		xOut = max(min(c, (f.win.end-base)/2, f.win.end-base-in), 0)
		end -= xOut
	}
	var (
		items []Item
		nats  []time.Duration // natural ends, parallel to items
		from  []int           // index in seq, parallel to items; -1 for a
	)
	if a != nil {
		anchor = max(f.natural(*a)-c, a.Start+a.FadeIn, f.now)
		if a.Soundscape() {
			cands = nil // a soundscape is the fill: it plays to the end
		}
	} else if end-anchor < grid {
		// No time left to fade anything in before the handover (or the
		// end of the session): leave the rest of the window to the next.
		return nil, pp, max(end, anchor), nil
	}
	target := end + xOut - anchor - c // wanted sum of contributions
	seq := cands
	if ph.FillOrDefault() == FillLoop && len(all) > 0 && !(a != nil && a.Soundscape()) {
		var err error
		if seq, err = f.loop(cands, all, target); err != nil {
			return nil, pp, 0, err
		}
	}
	picks := make([]pick, len(seq))
	for i, x := range seq {
		picks[i] = pick{w: units(x.dur - c), must: x.must}
	}
	// Choosing nothing is allowed after a sounding item, and mid-phase
	// unless the phase loops (after a skip or in a gap, the fill until the
	// boundary may be the closest fit); a phase that begins keeps at least
	// one track, cut at the boundary if they are all too long.
	var empty *int64
	switch {
	case a != nil:
		e := units(f.natural(*a) - anchor - c)
		empty = &e
	case anchor > f.win.start && ph.FillOrDefault() != FillLoop:
		e := units(-c)
		empty = &e
	}
	// excluded are optional tracks left out to make room for a must-play
	// one (below); the choice is made again without them.
	excluded := make([]bool, len(seq))
	var keep []bool
	decide := func() {
		var sub []pick
		var idx []int
		for i, p := range picks {
			if !excluded[i] {
				sub, idx = append(sub, p), append(idx, i)
			}
		}
		k := choose(sub, units(target), empty)
		keep = make([]bool, len(seq))
		for j, i := range idx {
			keep[i] = k[j]
		}
	}
	decide()
	place := func(x cand, i int) {
		it := Item{Phase: f.win.role, Entry: x.entry, Track: x.track, GainDB: x.gain + ph.LevelDB}
		if n := len(items); n == 0 {
			it.Start, it.FadeIn = anchor, min(xIn, max(end-anchor, 0))
		} else {
			p := items[n-1]
			it.Start = max(nats[n-1]-c, p.Start+p.FadeIn, f.now)
			it.FadeIn = max(nats[n-1]-it.Start, 0)
		}
		it.End = it.Start + x.dur
		items, nats, from = append(items, it), append(nats, it.End), append(from, i)
	}
	layout := func() {
		items, nats, from = items[:0], nats[:0], from[:0]
		if a != nil {
			it := *a
			it.End, it.FadeOut = f.natural(it), 0
			items, nats, from = append(items, it), append(nats, it.End), append(from, -1)
		}
		for i, x := range seq {
			if keep[i] {
				place(x, i)
			}
		}
	}
	fits := func(k int) bool { return items[k].Start+items[k].FadeIn <= end }
	layout()
	// The fit is judged on where the tracks end; a must-play track that
	// would then start too late to fade in before the boundary makes room:
	// the latest optional track before it is left out and the choice made
	// again.
	for {
		bad := -1
		for k := range items {
			if from[k] >= 0 && seq[from[k]].must && !fits(k) {
				bad = k
				break
			}
		}
		if bad < 0 {
			break
		}
		drop := -1
		for k := bad - 1; k >= 0 && drop < 0; k-- {
			if from[k] >= 0 && !seq[from[k]].must {
				drop = from[k]
			}
		}
		if drop < 0 {
			break
		}
		excluded[drop] = true
		decide()
		layout()
	}
	// Tracks that would still be fading in when the handover begins do not
	// fit: drop them from the end (the sounding item and a lone first item
	// always stay).
	for n := len(items); n > 1 && !fits(n-1); n = len(items) {
		if i := from[n-1]; i >= 0 && seq[i].must {
			pp.Missed = append(pp.Missed, items[n-1].Track)
		}
		items, nats, from = items[:n-1], nats[:n-1], from[:n-1]
	}
	next := end
	if len(items) == 0 {
		items = f.fill(items, nil, anchor, xIn, end, xOut)
		return items, pp, next, nil
	}
	L := &items[len(items)-1]
	nat := nats[len(nats)-1]
	next = max(end, L.Start+L.FadeIn)
	goal := next + xOut
	if !L.Soundscape() {
		pp.FitError = nat - goal
	}
	if nat < next && ph.FillOrDefault() == FillLoop && len(all) > 0 {
		// Short of the boundary: loop on from the last track.
		i := slices.IndexFunc(all, func(x cand) bool { return x.entry > L.Entry })
		if i < 0 {
			i = 0
		}
		for ; nat < next; i = (i + 1) % len(all) {
			place(all[i], -1)
			nat = nats[len(nats)-1]
		}
		L = &items[len(items)-1]
	}
	switch {
	case nat >= goal: // cut, fading out at the boundary (or an exact fit)
		L.End, L.FadeOut = goal, xOut
	case nat >= next: // ends inside the handover: a shorter crossfade
		L.End = nat
	default: // short: the fill covers the gap
		L.End = nat
		items = f.fill(items, nats, anchor, xIn, next, xOut)
	}
	return items, pp, next, nil
}

// fill covers the end of a window the tracks left empty, from the last
// item's natural end (or from anchor when there is none) to next, the
// next phase's start: a soundscape crossfades in and out; silence leaves
// the gap; a loop with no tracks has nothing to loop and is silent too.
func (f fitter) fill(items []Item, nats []time.Duration, anchor, xIn, next, xOut time.Duration) []Item {
	ph := f.win.phase
	fl := ph.FillOrDefault()
	if !fl.Soundscape() {
		return items
	}
	c := ph.CrossfadeOrDefault()
	s := Item{Phase: f.win.role, Entry: -1, Fill: fl, End: next + xOut, FadeOut: xOut, GainDB: ph.LevelDB}
	if n := len(items); n > 0 {
		p := items[n-1]
		s.Start = max(nats[n-1]-c, p.Start+p.FadeIn, f.now)
		s.FadeIn = max(nats[n-1]-s.Start, 0)
	} else {
		s.Start, s.FadeIn = anchor, min(xIn, max(next-anchor, 0))
	}
	if s.End <= s.Start {
		return items
	}
	return append(items, s)
}

// loop extends the tracks still to play with the phase's tracks again: when
// they fall short of target they all play, then whole passes while a whole
// pass still fits; then comes one last pass, from which (with the optional
// tracks before it) the fitting keeps the tracks that end closest to the
// boundary.
func (f fitter) loop(cands, all []cand, target time.Duration) ([]cand, error) {
	c := f.win.phase.CrossfadeOrDefault()
	sum := func(xs []cand) time.Duration {
		var s time.Duration
		for _, x := range xs {
			s += x.dur - c
		}
		return s
	}
	have, pass := sum(cands), sum(all)
	var whole int
	if have < target {
		whole = int((target - have) / pass)
	}
	if n := len(cands) + (whole+1)*len(all); n > maxPhaseItems {
		return nil, fmt.Errorf("plan playlist %q: phase %s: looping its %d tracks over the window takes %d items, more than %d: the tracks are too short",
			f.p.Playlist.Name, f.win.role, len(all), n, maxPhaseItems)
	}
	seq := make([]cand, 0, len(cands)+(whole+1)*len(all))
	for _, x := range cands {
		x.must = x.must || have < target
		seq = append(seq, x)
	}
	for range whole {
		for _, x := range all {
			x.must = true
			seq = append(seq, x)
		}
	}
	for _, x := range all {
		x.must = false
		seq = append(seq, x)
	}
	return seq, nil
}
