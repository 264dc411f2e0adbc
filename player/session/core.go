package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"attune/player"
	"attune/player/synth"
	"attune/player/timeline"
	"attune/playlists"
)

// Errors commands are refused with; the server turns them into protocol
// errors.
var (
	ErrEnded     = errors.New("the session has ended")
	ErrNotDosed  = errors.New("the dose has not been given")
	ErrDosed     = errors.New("the dose was already given")
	ErrBadArgs   = errors.New("bad arguments")
	ErrForbidden = errors.New("not allowed for this role")
)

// Durations of the session's own transitions.
const (
	// ArrivalLength is how long the arrival music is planned for; a dose
	// later than that finds the room silent.
	ArrivalLength = 4 * time.Hour
	// ReplaceLead is how far ahead a seamless re-plan takes effect (extend,
	// shorten, a late onset): time for the engine to open the new plan's
	// sounding item before it takes over on the same sample.
	ReplaceLead = 2 * time.Second
	// MaxBackdate bounds "dosed N minutes ago".
	MaxBackdate = 30 * time.Minute
)

// Op is what an Action asks of the room's engine.
type Op uint8

// Engine operations, in the engine's own terms.
const (
	// OpLoad loads Timeline at At through the engine's fade-out/fade-in
	// transition (a silent switch while paused).
	OpLoad Op = iota + 1
	// OpCrossfade crossfades from what sounds into Timeline at At over
	// Fade, equal-power.
	OpCrossfade
	// OpReplace swaps to Timeline at At without a sound: what Timeline
	// plays from At is what plays now; only the future differs.
	OpReplace
	OpPlay   // start, fading in from silence
	OpPause  // fade out and hold
	OpResume // fade back in
	OpQuiet  // On: fade to silence while the clock runs; off: fade back
	OpVolume // master volume to DB, slew-limited
	OpStop   // fade out and unload
)

// Action is one thing the room's engine must do.
type Action struct {
	Op       Op
	Timeline timeline.Timeline
	At       time.Duration
	Fade     time.Duration
	On       bool
	DB       float64
}

// Who is the person (or the system) behind a command, for the log and for
// the role's limits.
type Who struct {
	Role   string // admin, therapist, patient, system
	Device string
}

// Patients may only do a few things, within the room's range.
const RolePatient = "patient"

// Command is one control of a session. Kind is one of the Kind constants
// that name commands; the fields a kind does not use are ignored.
type Command struct {
	Kind string
	Who  Who
	// Back is how long ago the dose was given (KindDose).
	Back time.Duration
	// Phase is the phase to extend, shorten or jump to.
	Phase playlists.Role
	// By is how much to extend or shorten.
	By time.Duration
	// On is KindQuiet's direction.
	On bool
	// DB is KindVolume's level, or with Relative the step added to the
	// session's current level (a patient's softer/louder).
	DB       float64
	Relative bool
	// Why says why the session ends (KindEnd).
	Why string
}

// Limits are the room's: the patient's volume range and the engine's
// fades the session plans around.
type Limits struct {
	PatientMinDB, PatientMaxDB float64
	SkipFade                   time.Duration
}

// state is what the session persists beside its Record's fields, in
// Record.Plan: the plan in force and what it has played.
type state struct {
	Plan    playlists.Plan           `json:"plan"`
	Arrival []playlists.Item         `json:"arrival,omitempty"`
	Played  map[playlists.Role][]int `json:"played,omitempty"`
	Paused  *playlists.Item          `json:"paused_item,omitempty"` // the item sounding at the pause, re-anchored at PausedAt
}

// Core is a session's logic without I/O: commands in, engine actions and a
// log entry out, the Record always what must be stored before the actions
// are carried out. It is not safe for concurrent use; the room's session
// goroutine owns it.
type Core struct {
	rec Record
	pr  playlists.Planner
	lim Limits
	st  state
}

// New sets up a session in room for playlist under profile at wall time
// now: the arrival music (if the playlist has an arrival phase) plays until
// the dose. It returns the actions to start the room and the first entry.
func New(room string, pl playlists.Playlist, prof playlists.Profile, tracks playlists.Tracks, lim Limits, volumeDB float64, who Who, now time.Time) (*Core, []Action, Entry, error) {
	if err := prof.Validate(); err != nil {
		return nil, nil, Entry{}, fmt.Errorf("session in %q: %w", room, err)
	}
	c := &Core{
		rec: Record{Room: room, Playlist: pl, Profile: prof, Status: StatusArrival, Created: now.UTC(),
			Boundaries: prof.Planned(), VolumeDB: volumeDB},
		pr:  playlists.Planner{Playlist: pl, Tracks: tracks},
		lim: lim,
		st:  state{Played: map[playlists.Role][]int{}},
	}
	arr, err := c.pr.Arrival(ArrivalLength)
	if err != nil {
		return nil, nil, Entry{}, fmt.Errorf("session in %q: %w", room, err)
	}
	c.st.Arrival = arr
	if err := c.persist(); err != nil {
		return nil, nil, Entry{}, err
	}
	acts := []Action{{Op: OpVolume, DB: volumeDB}}
	if len(arr) > 0 {
		tl, err := toTimeline(arr)
		if err != nil {
			return nil, nil, Entry{}, fmt.Errorf("session in %q: arrival: %w", room, err)
		}
		acts = append(acts, Action{Op: OpLoad, Timeline: tl}, Action{Op: OpPlay})
	}
	return c, acts, c.entry(KindStart, who, now, fmt.Sprintf("playlist %q, profile %s", pl.Name, prof.Name)), nil
}

// Restore rebuilds a session from its stored record.
func Restore(rec Record, tracks playlists.Tracks, lim Limits) (*Core, error) {
	c := &Core{rec: rec, pr: playlists.Planner{Playlist: rec.Playlist, Tracks: tracks}, lim: lim}
	if len(rec.Plan) > 0 {
		if err := json.Unmarshal(rec.Plan, &c.st); err != nil {
			return nil, fmt.Errorf("restore session %d: plan: %w", rec.ID, err)
		}
	}
	if c.st.Played == nil {
		c.st.Played = map[playlists.Role][]int{}
	}
	return c, nil
}

// SetLimits changes the room's limits from the next command on.
func (c *Core) SetLimits(l Limits) { c.lim = l }

// Record is the session as it must be stored now.
func (c *Core) Record() Record { return c.rec }

// SetID records the id the store gave the session.
func (c *Core) SetID(id int64) { c.rec.ID = id }

// Plan is the plan in force (empty before the dose).
func (c *Core) Plan() playlists.Plan { return c.st.Plan }

// Clock is the drug-clock time at wall time now, and whether the dose was
// given.
func (c *Core) Clock(now time.Time) (time.Duration, bool) {
	if c.rec.DosedAt.IsZero() {
		return 0, false
	}
	return now.Sub(c.rec.DosedAt), true
}

// Apply carries out cmd at wall time now. On success the Record has
// changed (store it before carrying out the actions) and the entry says
// what happened; on error nothing changed.
func (c *Core) Apply(cmd Command, now time.Time) ([]Action, Entry, error) {
	if c.rec.Status == StatusEnded {
		return nil, Entry{}, fmt.Errorf("%s: %w", cmd.Kind, ErrEnded)
	}
	if cmd.Who.Role == RolePatient && !patientMay(cmd.Kind) {
		return nil, Entry{}, fmt.Errorf("%s: %w", cmd.Kind, ErrForbidden)
	}
	saved := c.snapshot()
	acts, detail, err := c.apply(cmd, now)
	if err == nil {
		err = c.persist()
	}
	if err != nil {
		c.restore(saved)
		return nil, Entry{}, fmt.Errorf("%s: %w", cmd.Kind, err)
	}
	e := c.entry(cmd.Kind, cmd.Who, now, detail)
	return acts, e, nil
}

func patientMay(kind string) bool {
	switch kind {
	case KindPause, KindResume, KindSkip, KindVolume, KindQuiet:
		return true
	}
	return false
}

// snapshot and restore make Apply all-or-nothing.
type snap struct {
	rec Record
	st  []byte
}

func (c *Core) snapshot() snap {
	b, _ := json.Marshal(c.st) // plain data: cannot fail
	return snap{rec: c.rec, st: b}
}

func (c *Core) restore(s snap) {
	c.rec = s.rec
	c.st = state{}
	_ = json.Unmarshal(s.st, &c.st) // what snapshot wrote
}

func (c *Core) persist() error {
	b, err := json.Marshal(c.st)
	if err != nil {
		return fmt.Errorf("session state: %w", err)
	}
	c.rec.Plan = b
	return nil
}

func (c *Core) apply(cmd Command, now time.Time) ([]Action, string, error) {
	clock, dosed := c.Clock(now)
	if !dosed && cmd.Kind != KindDose && cmd.Kind != KindEnd && !controlKind(cmd.Kind) {
		return nil, "", ErrNotDosed
	}
	switch cmd.Kind {
	case KindDose:
		return c.dose(cmd.Back, now)
	case KindOnset:
		return c.onset(clock)
	case KindExtend, KindShorten:
		by := cmd.By
		if by <= 0 || by > 2*time.Hour {
			return nil, "", fmt.Errorf("%w: by %s: want 1s…2h", ErrBadArgs, by)
		}
		if cmd.Kind == KindShorten {
			by = -by
		}
		return c.extend(cmd.Phase, by, clock)
	case KindJump:
		return c.jump(cmd.Phase, clock)
	case KindPause:
		return c.pause(clock, dosed)
	case KindResume:
		return c.resume(clock, dosed)
	case KindSkip:
		return c.skip(clock, dosed)
	case KindQuiet:
		c.rec.Quiet = cmd.On
		return []Action{{Op: OpQuiet, On: cmd.On}}, map[bool]string{true: "on", false: "off"}[cmd.On], nil
	case KindVolume:
		return c.volume(cmd)
	case KindEnd:
		why := cmd.Why
		if why == "" {
			why = "ended by " + cmd.Who.Role
		}
		c.end(now)
		return []Action{{Op: OpStop}}, why, nil
	}
	return nil, "", fmt.Errorf("%w: unknown command %q", ErrBadArgs, cmd.Kind)
}

// controlKind reports commands that also work before the dose, on the
// arrival music.
func controlKind(kind string) bool {
	switch kind {
	case KindPause, KindResume, KindQuiet, KindVolume, KindSkip:
		return true
	}
	return false
}

func (c *Core) end(now time.Time) {
	c.rec.Status, c.rec.Ended = StatusEnded, now.UTC()
}

// Tick is called every second or so: it ends the session when observation
// is over. It reports whether anything changed (then store the entry).
func (c *Core) Tick(now time.Time) ([]Action, Entry, bool) {
	clock, dosed := c.Clock(now)
	if c.rec.Status != StatusRunning || !dosed || clock < c.rec.Boundaries.ObserveUntil {
		return nil, Entry{}, false
	}
	c.end(now)
	_ = c.persist()
	return []Action{{Op: OpStop}}, c.entry(KindEnd, Who{Role: "system"}, now, "observation ended"), true
}

// Recover carries a stored session on after a restart at wall time now: a
// session whose observation ended meanwhile is closed; one that should
// still run loads its plan where the drug clock is now and fades in from
// silence (unless it was paused, which it stays).
func (c *Core) Recover(now time.Time) ([]Action, Entry) {
	who := Who{Role: "system", Device: "attune"}
	clock, dosed := c.Clock(now)
	if dosed && clock >= c.rec.Boundaries.ObserveUntil {
		c.end(now)
		_ = c.persist()
		return nil, c.entry(KindEnd, who, now, "observation ended while attune was down")
	}
	acts := []Action{{Op: OpVolume, DB: c.rec.VolumeDB}}
	if c.rec.Quiet {
		acts = append(acts, Action{Op: OpQuiet, On: true})
	}
	var items []playlists.Item
	at := clock
	if dosed {
		items = c.st.Plan.Items
	} else {
		items, at = c.st.Arrival, now.Sub(c.rec.Created)
	}
	tl, err := toTimeline(items)
	detail := fmt.Sprintf("resumed at %s", Clock(clock))
	switch {
	case err != nil || len(tl.Items) == 0 || at >= tl.Items[len(tl.Items)-1].End:
		detail += "; nothing to play"
	case c.rec.Paused:
		detail += "; paused"
	default:
		acts = append(acts, Action{Op: OpLoad, Timeline: tl, At: at}, Action{Op: OpPlay})
	}
	return acts, c.entry(KindRecovered, who, now, detail)
}

// entry makes the log entry for what just happened at now.
func (c *Core) entry(kind string, who Who, now time.Time, detail string) Entry {
	clock, dosed := c.Clock(now)
	e := Entry{Session: c.rec.ID, Wall: now.UTC(), Clock: clock, Dosed: dosed, Role: who.Role, Device: who.Device,
		Kind: kind, Detail: detail}
	if it, ok := c.soundingAt(now); ok {
		e.Phase, e.Track = string(it.Phase), it.Track
		if it.Soundscape() {
			e.Track = synth.Track(synth.Kind(it.Fill))
		}
	}
	return e
}

// Observed is the log entry for an engine event at wall time now: an item
// that began sounding (KindItem) or failed (KindFailed, Detail: why); false
// for other events. Track is the event's; Phase is that of the plan's item
// playing the track at the event's position (the timeline's clock is the
// drug clock, or the arrival's clock before the dose).
func (c *Core) Observed(ev player.Event, now time.Time) (Entry, bool) {
	kind, detail := KindItem, ""
	switch ev.Kind {
	case player.EventItemStarted:
	case player.EventItemFailed:
		kind = KindFailed
		if ev.Err != nil {
			detail = ev.Err.Error()
		}
	default:
		return Entry{}, false
	}
	e := c.entry(kind, Who{Role: "system", Device: "engine"}, now, detail)
	e.Track = ev.Track
	items := c.st.Plan.Items
	if c.rec.DosedAt.IsZero() {
		items = c.st.Arrival
	}
	for i := len(items) - 1; i >= 0; i-- {
		it := items[i]
		track := it.Track
		if it.Soundscape() {
			track = synth.Track(synth.Kind(it.Fill))
		}
		if track == ev.Track && it.Start <= ev.Position+time.Second && ev.Position < it.End {
			e.Phase = string(it.Phase)
			break
		}
	}
	return e, true
}

// soundingAt is the item the plan has sounding at now (the incoming one of
// a crossfade), or the paused item.
func (c *Core) soundingAt(now time.Time) (playlists.Item, bool) {
	if c.rec.Paused && c.st.Paused != nil {
		return *c.st.Paused, true
	}
	clock, dosed := c.Clock(now)
	items := c.st.Plan.Items
	if !dosed {
		items, clock = c.st.Arrival, now.Sub(c.rec.Created)
	}
	for i := len(items) - 1; i >= 0; i-- {
		if it := items[i]; it.Start <= clock && clock < it.End {
			return it, true
		}
	}
	return playlists.Item{}, false
}

// toTimeline converts plan items to the engine's timeline.
func toTimeline(items []playlists.Item) (timeline.Timeline, error) {
	tl := timeline.Timeline{Items: make([]timeline.Item, 0, len(items))}
	for _, it := range items {
		track := it.Track
		if it.Soundscape() {
			track = synth.Track(synth.Kind(it.Fill))
		}
		tl.Items = append(tl.Items, timeline.Item{Track: track, Start: it.Start, End: it.End, Offset: it.Offset,
			FadeIn: it.FadeIn, FadeOut: it.FadeOut, GainDB: it.GainDB, Phase: string(it.Phase)})
	}
	if err := tl.Validate(); err != nil {
		return timeline.Timeline{}, err
	}
	return tl, nil
}

// markPlayed records the entries of the plan that have started by clock.
func (c *Core) markPlayed(clock time.Duration) {
	for _, it := range c.st.Plan.Items {
		if it.Start <= clock && it.Entry >= 0 && !slices.Contains(c.st.Played[it.Phase], it.Entry) {
			c.st.Played[it.Phase] = append(c.st.Played[it.Phase], it.Entry)
		}
	}
}
