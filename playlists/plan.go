package playlists

import (
	"fmt"
	"slices"
	"time"
)

// TrackInfo is what the planner needs to know of a track.
type TrackInfo struct {
	Duration time.Duration
	GainDB   float64 // the track's loudness gain (R128 or ReplayGain)
}

// Tracks looks up the facts of a library track by id.
type Tracks interface {
	TrackInfo(id string) (TrackInfo, bool)
}

// TrackMap is a Tracks held in memory.
type TrackMap map[string]TrackInfo

// TrackInfo returns the facts of track id.
func (m TrackMap) TrackInfo(id string) (TrackInfo, bool) {
	ti, ok := m[id]
	return ti, ok
}

// Item is one thing the session plays, on the drug clock. It converts 1:1
// to the engine's timeline item (player/timeline): the item sounds from
// Start to End, beginning Offset into the track; when it overlaps the next
// item the overlap is a crossfade and FadeOut (and the next FadeIn) equal
// it; otherwise a fade is to or from silence.
type Item struct {
	Phase Role
	// Entry is the item's index in its phase's Tracks; -1 for a soundscape.
	Entry int
	// Track is the library track id; "" for a soundscape, which the engine
	// synthesizes from Fill.
	Track   string
	Fill    Fill
	Start   time.Duration
	End     time.Duration
	Offset  time.Duration
	FadeIn  time.Duration
	FadeOut time.Duration
	GainDB  float64 // the track's gain plus its phase's level
}

// Soundscape reports whether the engine synthesizes the item.
func (it Item) Soundscape() bool { return it.Track == "" }

// PhasePlan is how one phase fits its window.
type PhasePlan struct {
	Role Role
	// Start and End are the phase's window on the drug clock: its first
	// item fades in from Start (later by at most a crossfade when a sounding
	// item is still fading in), and the next phase begins at End.
	Start, End time.Duration
	// FitError is where the phase's whole tracks end, less where they
	// should (End plus the crossfade into the next phase): negative when
	// they fall short (the fill policy covers the rest), positive when the
	// last one is cut, fading out at the boundary.
	FitError time.Duration
	// Missed lists must-play tracks that could not play: shorter than two
	// crossfades, or beyond the end of a window too short for them.
	Missed []string
}

// Plan is a session's music on the drug clock: items in order of start, at
// most two sounding at once, and how each phase fits.
type Plan struct {
	Items  []Item
	Phases []PhasePlan
}

// Phase returns the plan of phase r.
func (p Plan) Phase(r Role) (PhasePlan, bool) {
	for _, ph := range p.Phases {
		if ph.Role == r {
			return ph, true
		}
	}
	return PhasePlan{}, false
}

// Planner fits a playlist onto the drug clock. It is a plain value: the
// live session keeps one and calls Replan on every command.
type Planner struct {
	Playlist Playlist
	Tracks   Tracks
}

// Cursor is where a live session stands when it re-plans.
type Cursor struct {
	// Now is the drug-clock time of the re-plan.
	Now time.Duration
	// Sounding is the item playing at Now as the engine plays it; nil when
	// nothing sounds (silence, quiet, or just skipped). During a crossfade
	// it is the incoming item. After a pause it is re-anchored: Start is
	// when it resumed, Offset where, FadeIn the resume fade, End where the
	// track ends (Start + duration − Offset) and FadeOut 0. It keeps
	// playing: Replan returns it first, with only End and FadeOut re-fitted
	// (or, when its fade-out into another phase has begun, unchanged: a fade
	// is never restarted).
	Sounding *Item
	// Played lists, for each phase, the entries (indexes in its Tracks)
	// that have played or were skipped, in the order they played. A phase
	// does not plan them again, nor the entries before them in curated
	// order; a phase that loops goes on round from the last one.
	Played map[Role][]int
}

// Plan fits the whole session, from the dose to the end of observation, to
// the boundaries b (Profile.Planned, or as the therapist moved them).
func (p Planner) Plan(b Boundaries) (Plan, error) {
	return p.Replan(b, Cursor{})
}

// Replan fits the session from cur.Now on: the sounding item keeps playing,
// the rest of the current phase is re-fitted from where it ends so that the
// next boundary stays where b puts it, then every later phase. The plan
// holds no item that ends before Now; what has played is the caller's.
func (p Planner) Replan(b Boundaries, cur Cursor) (Plan, error) {
	if err := p.check(b, cur); err != nil {
		return Plan{}, err
	}
	if cur.Now >= b.ObserveUntil {
		return Plan{}, nil
	}
	wins := p.windows(b)
	if len(wins) == 0 {
		return Plan{}, nil
	}
	ci := 0 // the current phase: the window Now falls in
	for i, w := range wins {
		if w.start <= cur.Now {
			ci = i
		}
	}
	var (
		out  Plan
		next = cur.Now // where the next phase's first item starts
	)
	for i := ci; i < len(wins); i++ {
		w := wins[i]
		f := fitter{
			p:    p,
			win:  w,
			last: i == len(wins)-1,
			now:  cur.Now,
		}
		if !f.last {
			f.xOut = wins[i+1].handover()
		}
		start := max(next, w.start)
		if i == ci {
			start = cur.Now
		}
		if start >= w.end && !f.last && i != ci {
			// A sounding item's fade-in ran past this whole window.
			out.Phases = append(out.Phases, PhasePlan{Role: w.role, Start: w.start, End: w.end})
			continue
		}
		var (
			items []Item
			pp    PhasePlan
			err   error
		)
		if i == ci {
			items, pp, next, err = f.current(cur, start)
		} else {
			items, pp, next, err = f.fresh(start, w.handover(), cur.Played[w.role])
		}
		if err != nil {
			return Plan{}, err
		}
		out.Items = append(out.Items, items...)
		out.Phases = append(out.Phases, pp)
	}
	linkFades(out.Items)
	return out, nil
}

// linkFades makes every overlap a crossfade whose fades equal it, the
// timeline's rule. Lone fades (to or from silence) are left as fitted.
func linkFades(items []Item) {
	for i := 1; i < len(items); i++ {
		if ov := items[i-1].End - items[i].Start; ov > 0 {
			items[i-1].FadeOut = ov
			items[i].FadeIn = ov
		}
	}
}

// window is a phase of the playlist placed on the drug clock.
type window struct {
	role       Role
	phase      Phase
	start, end time.Duration
}

// handover is the crossfade into the phase from the one before: the
// phase's own crossfade, at most half its window so that a short phase
// still has room to fade in and out.
func (w window) handover() time.Duration {
	return min(w.phase.CrossfadeOrDefault(), (w.end-w.start)/2)
}

// minWindow is the shortest window a phase is planned in; a shorter one
// (a phase shortened or jumped over to nothing) is passed over.
const minWindow = time.Second

// windows places the playlist's drug-clock phases. A phase runs from its
// boundary to the next phase's; the first phase starts at the dose and the
// last ends at the end of observation, so a playlist without some roles
// still has music from the dose to the end: the phase before a missing
// role carries on through its window.
func (p Planner) windows(b Boundaries) []window {
	var ws []window
	for _, ph := range p.Playlist.Phases {
		s, _, ok := b.Window(ph.Role)
		if !ok {
			continue // arrival: before the dose, see Arrival
		}
		if len(ws) == 0 {
			s = 0
		}
		ws = append(ws, window{role: ph.Role, phase: ph, start: s})
	}
	for i := range ws {
		if i+1 < len(ws) {
			ws[i].end = ws[i+1].start
		} else {
			ws[i].end = b.ObserveUntil
		}
	}
	return slices.DeleteFunc(ws, func(w window) bool { return w.end-w.start < minWindow })
}

// check validates the inputs, naming what is wrong.
func (p Planner) check(b Boundaries, cur Cursor) error {
	pl := p.Playlist
	if err := pl.Validate(); err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	if err := b.Validate(); err != nil {
		return fmt.Errorf("plan playlist %q: %w", pl.Name, err)
	}
	if p.Tracks == nil {
		return fmt.Errorf("plan playlist %q: no track lookup", pl.Name)
	}
	for _, ph := range pl.Phases {
		for j, e := range ph.Tracks {
			ti, ok := p.Tracks.TrackInfo(e.Track)
			if !ok {
				return fmt.Errorf("plan playlist %q: phase %s, track %d %q: not in the library's track facts", pl.Name, ph.Role, j+1, e.Track)
			}
			if ti.Duration <= 0 {
				return fmt.Errorf("plan playlist %q: phase %s, track %d %q: duration %s: want a positive duration", pl.Name, ph.Role, j+1, e.Track, ti.Duration)
			}
		}
	}
	if cur.Now < 0 {
		return fmt.Errorf("plan playlist %q: now %s is before the dose", pl.Name, cur.Now)
	}
	if s := cur.Sounding; s != nil {
		where := fmt.Sprintf("plan playlist %q: sounding item (phase %s, entry %d, track %q)", pl.Name, s.Phase, s.Entry+1, s.Track)
		ph, ok := pl.Phase(s.Phase)
		switch {
		case !ok:
			return fmt.Errorf("%s: the playlist has no phase %s", where, s.Phase)
		case s.Soundscape() && !s.Fill.Soundscape():
			return fmt.Errorf("%s: no track and fill %q is not a soundscape", where, s.Fill)
		case !s.Soundscape() && (s.Entry < 0 || s.Entry >= len(ph.Tracks) || ph.Tracks[s.Entry].Track != s.Track):
			return fmt.Errorf("%s: not a track of that phase", where)
		case s.Start > cur.Now || s.Offset < 0 || s.FadeIn < 0:
			return fmt.Errorf("%s: start %s, offset %s, fade in %s: want a start at or before now (%s) and no negative times", where, s.Start, s.Offset, s.FadeIn, cur.Now)
		}
		if !s.Soundscape() {
			ti, _ := p.Tracks.TrackInfo(s.Track)
			if end := s.Start + ti.Duration - s.Offset; end <= cur.Now {
				return fmt.Errorf("%s: the track ended at %s, before now (%s)", where, end, cur.Now)
			}
		}
	}
	for r, es := range cur.Played {
		ph, ok := pl.Phase(r)
		if !ok {
			return fmt.Errorf("plan playlist %q: played entries of phase %s: the playlist has no such phase", pl.Name, r)
		}
		for _, e := range es {
			if e < 0 || e >= len(ph.Tracks) {
				return fmt.Errorf("plan playlist %q: played entry %d: phase %s has %d tracks", pl.Name, e+1, r, len(ph.Tracks))
			}
		}
	}
	return nil
}

// currentRole is the role of the phase Now falls in.
func (p Planner) currentRole(b Boundaries, cur Cursor) Role {
	var r Role
	for _, w := range p.windows(b) {
		if w.start <= cur.Now {
			r = w.role
		}
	}
	return r
}

// Arrival returns the arrival phase's music for d, on the loop's own clock
// (zero is when the arrival starts): its tracks in curated order,
// crossfading, again and again until d, the last fading out by d. The
// session calls it again with a longer d if the dose is later than it
// planned for. A playlist without an arrival phase has no arrival music
// (nil); one whose tracks are all too short plays its fill if that is a
// soundscape.
func (p Planner) Arrival(d time.Duration) ([]Item, error) {
	if err := p.check(Boundaries{ObserveUntil: MaxObserve}, Cursor{}); err != nil {
		return nil, err
	}
	ph, ok := p.Playlist.Phase(RoleArrival)
	if !ok || d < minWindow {
		return nil, nil
	}
	if d > MaxObserve {
		return nil, fmt.Errorf("plan playlist %q: arrival of %s: want at most %s", p.Playlist.Name, d, MaxObserve)
	}
	f := fitter{p: p, win: window{role: RoleArrival, phase: ph, start: 0, end: d}, last: true}
	all, missed := f.eligible()
	if len(all) > 0 || !ph.FillOrDefault().Soundscape() {
		f.win.phase.Fill = FillLoop
	}
	items, _, _, err := f.fit(0, f.win.handover(), nil, all, all, missed)
	if err != nil {
		return nil, err
	}
	linkFades(items)
	return items, nil
}
