// Package playlists is what therapists curate and what the drug clock plays:
// phased playlists, route profiles (how long a route of administration takes
// to act), and the planner that fits a playlist's phases onto the drug clock.
// File formats live in playlists/plfile and persistence in playlists/plstore;
// this package knows neither files nor SQL.
package playlists

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInvalid is wrapped by every validation error of this package, so
// callers can tell a bad playlist or profile from an I/O failure.
var ErrInvalid = errors.New("invalid")

// Role is what a phase is for in the arc of a session (DESIGN.md §2).
type Role string

// The roles, in the order a session passes through them.
const (
	// RoleArrival plays before the dose and loops until "dose given".
	RoleArrival Role = "arrival"
	// RoleSettling runs from the dose to the onset.
	RoleSettling Role = "settling"
	// RoleJourney runs from the onset to the end of the effect.
	RoleJourney Role = "journey"
	// RoleReturn runs from the end of the effect to the end of the return.
	RoleReturn Role = "return"
	// RoleIntegration runs to the end of observation.
	RoleIntegration Role = "integration"
)

// Roles lists every role in session order.
func Roles() []Role {
	return []Role{RoleArrival, RoleSettling, RoleJourney, RoleReturn, RoleIntegration}
}

// order is the role's place in a session, or -1.
func (r Role) order() int {
	for i, x := range Roles() {
		if x == r {
			return i
		}
	}
	return -1
}

// Fill is what plays when a phase's tracks run short of its window.
type Fill string

// Fill policies. The soundscapes are synthesized by the engine; therapists
// use them as near-silence that still tells the patient the room is there.
const (
	FillLoop       Fill = "loop"        // play the phase's tracks again, in order
	FillSilence    Fill = "silence"     // nothing
	FillBrownNoise Fill = "brown-noise" // soundscape: brown (1/f²) noise
	FillPinkNoise  Fill = "pink-noise"  // soundscape: pink (1/f) noise
	FillDrone      Fill = "drone"       // soundscape: a soft sustained drone
)

// Fills lists every fill policy.
func Fills() []Fill {
	return []Fill{FillLoop, FillSilence, FillBrownNoise, FillPinkNoise, FillDrone}
}

// Soundscape reports whether f is synthesized rather than taken from tracks.
func (f Fill) Soundscape() bool {
	return f == FillBrownNoise || f == FillPinkNoise || f == FillDrone
}

// Defaults of a phase's zero fields.
const (
	DefaultCrossfade  = 8 * time.Second
	DefaultTransition = 20 * time.Second
	DefaultFill       = FillSilence
	// MaxCrossfade bounds crossfades and transitions: longer ones are a
	// unit mistake (minutes for seconds), not a choice.
	MaxCrossfade = 2 * time.Minute
	// MinLevelDB and MaxLevelDB bound a phase's level offset. A phase may
	// be made much quieter, but only a little louder: loudness
	// normalization sets the level, the offset shapes the arc.
	MinLevelDB = -30.0
	MaxLevelDB = 6.0
)

// Entry is one track of a phase, in curated order.
type Entry struct {
	// Track is the library track id the entry resolved to.
	Track string
	// MustPlay keeps the track when the planner drops optional ones to
	// fit the phase to its window.
	MustPlay bool
}

// Phase is one part of the arc: a role and the tracks that carry it.
type Phase struct {
	Role   Role
	Tracks []Entry
	// Crossfade between consecutive tracks of the phase; 0 means
	// DefaultCrossfade. Gapless playback is not offered inside a phase:
	// therapists' tracks come from different albums.
	Crossfade time.Duration
	// LevelDB is added to every track's gain in this phase (e.g. −3 dB for
	// a quieter integration).
	LevelDB float64
	// Fill is what plays when the tracks run short; "" means DefaultFill.
	Fill Fill
}

// CrossfadeOrDefault is the phase's crossfade with the default applied.
func (p Phase) CrossfadeOrDefault() time.Duration {
	if p.Crossfade == 0 {
		return DefaultCrossfade
	}
	return p.Crossfade
}

// FillOrDefault is the phase's fill policy with the default applied.
func (p Phase) FillOrDefault() Fill {
	if p.Fill == "" {
		return DefaultFill
	}
	return p.Fill
}

// Playlist is a therapist's arc: ordered phases, one per role at most.
type Playlist struct {
	Name        string // unique in the library; what commands and files refer to
	Description string
	Author      string
	// Profile names the route profile the playlist was curated for; ""
	// means the default profile.
	Profile string
	// Transition is the crossfade when a boundary is re-anchored live
	// ("onset now"); 0 means DefaultTransition.
	Transition time.Duration
	Phases     []Phase
}

// TransitionOrDefault is the playlist's transition with the default applied.
func (pl Playlist) TransitionOrDefault() time.Duration {
	if pl.Transition == 0 {
		return DefaultTransition
	}
	return pl.Transition
}

// Phase returns the playlist's phase with role r.
func (pl Playlist) Phase(r Role) (Phase, bool) {
	for _, p := range pl.Phases {
		if p.Role == r {
			return p, true
		}
	}
	return Phase{}, false
}

// Validate checks the playlist: a name, known roles in session order, each
// at most once, sane crossfades, level offsets and fill policies, tracks
// that resolved. Every problem is reported, each naming where it is.
func (pl Playlist) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w playlist %q: %s", ErrInvalid, pl.Name, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(pl.Name) == "" {
		bad("no name")
	}
	if pl.Transition < 0 || pl.Transition > MaxCrossfade {
		bad("transition %s: want 0…%s", pl.Transition, MaxCrossfade)
	}
	if len(pl.Phases) == 0 {
		bad("no phases")
	}
	last := -1
	for i, p := range pl.Phases {
		where := fmt.Sprintf("phase %d (%s)", i+1, p.Role)
		o := p.Role.order()
		switch {
		case o < 0:
			bad("%s: unknown role %q (want one of %s)", where, p.Role, joinRoles())
		case o == last:
			bad("%s: role %s appears twice", where, p.Role)
		case o < last:
			bad("%s: role %s comes after %s; phases go in session order (%s)", where, p.Role, pl.Phases[i-1].Role, joinRoles())
		}
		last = max(last, o)
		if p.Crossfade < 0 || p.Crossfade > MaxCrossfade {
			bad("%s: crossfade %s: want 0…%s", where, p.Crossfade, MaxCrossfade)
		}
		if !(p.LevelDB >= MinLevelDB && p.LevelDB <= MaxLevelDB) {
			bad("%s: level %v dB: want %v…%v dB", where, p.LevelDB, MinLevelDB, MaxLevelDB)
		}
		if p.Fill != "" && !knownFill(p.Fill) {
			bad("%s: unknown fill %q (want one of %s)", where, p.Fill, joinFills())
		}
		for j, e := range p.Tracks {
			if strings.TrimSpace(e.Track) == "" {
				bad("%s: track %d has no id", where, j+1)
			}
		}
	}
	return errors.Join(errs...)
}

func knownFill(f Fill) bool {
	for _, x := range Fills() {
		if x == f {
			return true
		}
	}
	return false
}

func joinRoles() string {
	var s []string
	for _, r := range Roles() {
		s = append(s, string(r))
	}
	return strings.Join(s, ", ")
}

func joinFills() string {
	var s []string
	for _, f := range Fills() {
		s = append(s, string(f))
	}
	return strings.Join(s, ", ")
}
