package room

import (
	"time"

	"attune/player"
	"attune/player/session"
	"attune/playlists"
)

// State is a snapshot of the room. Its slices are shared between
// snapshots: read them, never modify them. Titles are always there; the
// server shows them to a patient only when ShowTitles.
type State struct {
	Room string    `json:"room"`
	At   time.Time `json:"at"` // when taken
	// Engine is the engine's state: "stopped", "playing", "paused" or
	// "quiet" (player.State's names).
	Engine       string        `json:"engine"`
	VolumeDB     float64       `json:"volume_db"` // the session's master volume, or the room's starting one
	CeilingDB    float64       `json:"ceiling_db"`
	PatientMinDB float64       `json:"patient_min_db"`
	PatientMaxDB float64       `json:"patient_max_db"`
	Quiet        bool          `json:"quiet"`
	ShowTitles   bool          `json:"show_titles"` // may the patient see titles
	Outputs      []OutputState `json:"outputs"`
	Underruns    int64         `json:"underruns"` // engine underruns: late items, fell behind real time
	Session      *SessionState `json:"session"`   // nil: no session
}

// OutputState is one output's state.
type OutputState struct {
	Name      string  `json:"name"`
	Type      string  `json:"type"`
	TrimDB    float64 `json:"trim_db"`
	Status    string  `json:"status"`    // StatusOK, StatusDown or StatusOff
	Underruns int64   `json:"underruns"` // the device ran dry (speakers)
	Listeners int     `json:"listeners"` // streams
	Err       string  `json:"err,omitempty"`
}

// SessionState is the room's session.
type SessionState struct {
	ID       int64     `json:"id"`
	Playlist string    `json:"playlist"`
	Profile  string    `json:"profile"`
	Status   string    `json:"status"` // arrival, running
	Created  time.Time `json:"created"`
	DosedAt  time.Time `json:"dosed_at"` // zero before the dose
	// Clock is the drug clock at State.At: 0 before the dose. The drug
	// clock runs on while the music is paused (DESIGN.md §2), so clients
	// extrapolate it from At whenever the session is dosed.
	Clock time.Duration `json:"clock"`
	// Paused says the music is paused; PausedAt is the drug clock of the
	// pause.
	Paused   bool          `json:"paused"`
	PausedAt time.Duration `json:"paused_at"`
	// Phase is the phase sounding now: "arrival" before the dose; after
	// it, the sounding item's phase, else the phase whose window holds the
	// clock.
	Phase      string               `json:"phase"`
	Boundaries playlists.Boundaries `json:"boundaries"`
	Phases     []PhaseSpan          `json:"phases"`   // the playlist's phases on the drug clock, for drawing
	Items      []PlanItem           `json:"items"`    // the plan in force; empty before the dose
	Sounding   int                  `json:"sounding"` // index in Items sounding now; -1 none (paused, silence)
}

// PhaseSpan is a phase's window on the drug clock.
type PhaseSpan struct {
	Role  string        `json:"role"`
	Start time.Duration `json:"start"`
	End   time.Duration `json:"end"`
}

// PlanItem is one item of the plan, on the drug clock.
type PlanItem struct {
	Track   string        `json:"track"` // library id; "" for a soundscape
	Title   string        `json:"title,omitempty"`
	Artist  string        `json:"artist,omitempty"`
	Phase   string        `json:"phase"`
	Start   time.Duration `json:"start"`
	End     time.Duration `json:"end"`
	FadeIn  time.Duration `json:"fade_in"`
	FadeOut time.Duration `json:"fade_out"`
	Fill    string        `json:"fill,omitempty"` // a soundscape's kind
}

// State returns the room's state now: the last published snapshot with At
// and the drug clock brought up to now. Safe from any goroutine.
func (r *Room) State() State {
	st := *r.state.Load()
	st.At = r.cfg.Now()
	if s := st.Session; s != nil && !s.DosedAt.IsZero() {
		ss := *s
		ss.Clock = st.At.Sub(s.DosedAt)
		st.Session = &ss
	}
	return st
}

// loopState is what the room's loop goroutine owns.
type loopState struct {
	engine    player.State
	outs      []OutputState // status, underruns, listeners, err; trims come from settings
	underruns int64
	volume    float64 // the last session's volume
	sess      *sessionSnap
}

// sessionSnap is the runner's last snapshot of the session, with its
// plan's items converted once.
type sessionSnap struct {
	rec   session.Record
	items []PlanItem
	spans []PhaseSpan
}

func (r *Room) snapSession(rec session.Record, plan playlists.Plan) *sessionSnap {
	s := &sessionSnap{rec: rec, items: make([]PlanItem, len(plan.Items))}
	for i, it := range plan.Items {
		pi := PlanItem{Track: it.Track, Phase: string(it.Phase), Start: it.Start, End: it.End,
			FadeIn: it.FadeIn, FadeOut: it.FadeOut}
		if it.Soundscape() {
			pi.Fill = string(it.Fill)
		} else if r.cfg.Titles != nil {
			pi.Title, pi.Artist = r.cfg.Titles(it.Track)
		}
		s.items[i] = pi
	}
	for _, ph := range rec.Playlist.Phases {
		if start, end, ok := rec.Boundaries.Window(ph.Role); ok {
			s.spans = append(s.spans, PhaseSpan{Role: string(ph.Role), Start: start, End: end})
		}
	}
	return s
}

// build makes the state at now from the loop's state and the settings.
func (r *Room) build(ls loopState, now time.Time) State {
	set := r.settings()
	st := State{Room: r.cfg.Name, At: now, Engine: ls.engine.String(), VolumeDB: ls.volume,
		CeilingDB: set.ceiling, PatientMinDB: set.pmin, PatientMaxDB: set.pmax, ShowTitles: set.showTitles,
		Underruns: ls.underruns, Outputs: make([]OutputState, len(ls.outs))}
	for i, o := range ls.outs {
		o.TrimDB = set.trims[i]
		st.Outputs[i] = o
	}
	if s := ls.sess; s != nil {
		rec := s.rec
		st.VolumeDB, st.Quiet = rec.VolumeDB, rec.Quiet
		ss := &SessionState{ID: rec.ID, Playlist: rec.Playlist.Name, Profile: rec.Profile.Name, Status: string(rec.Status),
			Created: rec.Created, DosedAt: rec.DosedAt, Paused: rec.Paused, PausedAt: rec.PausedAt,
			Boundaries: rec.Boundaries, Phases: s.spans, Items: s.items, Sounding: -1, Phase: string(playlists.RoleArrival)}
		if !rec.DosedAt.IsZero() {
			ss.Clock = now.Sub(rec.DosedAt)
			if !rec.Paused {
				for i := len(s.items) - 1; i >= 0; i-- {
					if it := s.items[i]; it.Start <= ss.Clock && ss.Clock < it.End {
						ss.Sounding = i
						break
					}
				}
			}
			ss.Phase = phaseAt(s.spans, ss.Clock)
			if ss.Sounding >= 0 {
				ss.Phase = s.items[ss.Sounding].Phase
			}
		}
		st.Session = ss
	}
	return st
}

// phaseAt is the phase whose window holds clock: the first before its
// start, the last after its end.
func phaseAt(spans []PhaseSpan, clock time.Duration) string {
	if len(spans) == 0 {
		return ""
	}
	for _, sp := range spans {
		if clock < sp.End {
			return sp.Role
		}
	}
	return spans[len(spans)-1].Role
}

// sameState reports whether a and b differ only in when they were taken.
func sameState(a, b *State) bool {
	if a.Engine != b.Engine || a.VolumeDB != b.VolumeDB || a.CeilingDB != b.CeilingDB ||
		a.PatientMinDB != b.PatientMinDB || a.PatientMaxDB != b.PatientMaxDB || a.Quiet != b.Quiet ||
		a.ShowTitles != b.ShowTitles || a.Underruns != b.Underruns || len(a.Outputs) != len(b.Outputs) ||
		(a.Session == nil) != (b.Session == nil) {
		return false
	}
	for i := range a.Outputs {
		if a.Outputs[i] != b.Outputs[i] {
			return false
		}
	}
	if a.Session == nil {
		return true
	}
	s, t := a.Session, b.Session
	return s.ID == t.ID && s.Status == t.Status && s.DosedAt.Equal(t.DosedAt) && s.Paused == t.Paused &&
		s.PausedAt == t.PausedAt && s.Phase == t.Phase && s.Boundaries == t.Boundaries && s.Sounding == t.Sounding &&
		sameItems(s.Items, t.Items)
}

func sameItems(a, b []PlanItem) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
