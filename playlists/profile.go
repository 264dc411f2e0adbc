package playlists

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Window is a span of time a pharmacological event falls in, e.g. the onset
// of an intranasal dose 10–15 minutes after it.
type Window struct {
	Min, Max time.Duration
}

// Mid is the window's middle: where the planner puts the event unless the
// therapist says otherwise.
func (w Window) Mid() time.Duration { return w.Min + (w.Max-w.Min)/2 }

// Contains reports whether d lies within the window, ends included.
func (w Window) Contains(d time.Duration) bool { return d >= w.Min && d <= w.Max }

func (w Window) String() string { return fmt.Sprintf("%s–%s", w.Min, w.Max) }

// Profile describes how a route of administration acts over time, on the
// drug clock (zero is the dose).
type Profile struct {
	Name string
	// Onset is when effects begin, after the dose.
	Onset Window
	// Effect is how long the effects last, after the onset.
	Effect Window
	// Return is how long the way back takes, after the effect.
	Return Window
	// ObserveUntil is when the clinic's observation ends, after the dose:
	// the end of the integration phase and of the session.
	ObserveUntil time.Duration

	// PlannedOnset and PlannedEffect are what the therapist expects for
	// this session, within the Onset and Effect windows (the console's
	// timeline preview lets them move the onset); 0 means the window's
	// middle. A session's profile is a snapshot, so they stay with it.
	PlannedOnset, PlannedEffect time.Duration `json:",omitempty"`
}

// DefaultProfile is the profile of a playlist that names none: the nasal
// spray the seed describes.
const DefaultProfile = "intranasal"

// DefaultProfiles returns the built-in route profiles (DESIGN.md §2), the
// default first. Configuration may override or add to them.
func DefaultProfiles() []Profile {
	m := time.Minute
	return []Profile{
		{Name: "intranasal", Onset: Window{10 * m, 15 * m}, Effect: Window{30 * m, 45 * m}, Return: Window{15 * m, 20 * m}, ObserveUntil: 120 * m},
		{Name: "intramuscular", Onset: Window{2 * m, 5 * m}, Effect: Window{45 * m, 60 * m}, Return: Window{15 * m, 20 * m}, ObserveUntil: 120 * m},
		{Name: "intravenous", Onset: Window{1 * m, 5 * m}, Effect: Window{35 * m, 45 * m}, Return: Window{20 * m, 30 * m}, ObserveUntil: 120 * m},
		{Name: "sublingual", Onset: Window{15 * m, 20 * m}, Effect: Window{40 * m, 60 * m}, Return: Window{20 * m, 30 * m}, ObserveUntil: 150 * m},
	}
}

// MaxObserve bounds a profile's observation: longer is a unit mistake.
const MaxObserve = 12 * time.Hour

// Validate checks that the windows are ordered and positive and that
// observation lasts past the latest end of the return.
func (p Profile) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w profile %q: %s", ErrInvalid, p.Name, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(p.Name) == "" {
		bad("no name")
	}
	for _, w := range []struct {
		name string
		w    Window
	}{{"onset", p.Onset}, {"effect", p.Effect}, {"return", p.Return}} {
		if w.w.Min < 0 || w.w.Max < w.w.Min {
			bad("%s window %s: want 0 ≤ min ≤ max", w.name, w.w)
		}
	}
	if p.Effect.Min <= 0 {
		bad("effect window %s: the effect must last", p.Effect)
	}
	if p.PlannedOnset != 0 && !p.Onset.Contains(p.PlannedOnset) {
		bad("planned onset %s: outside the onset window %s", p.PlannedOnset, p.Onset)
	}
	if p.PlannedEffect != 0 && !p.Effect.Contains(p.PlannedEffect) {
		bad("planned effect %s: outside the effect window %s", p.PlannedEffect, p.Effect)
	}
	latest := p.Onset.Max + p.Effect.Max + p.Return.Max
	if p.ObserveUntil < latest || p.ObserveUntil > MaxObserve {
		bad("observe until %s: want from the latest end of the return (%s) to %s", p.ObserveUntil, latest, MaxObserve)
	}
	return errors.Join(errs...)
}

// Boundaries are the planned points of a session on the drug clock: where
// each phase after the dose begins, and the end of observation.
type Boundaries struct {
	Onset        time.Duration // settling → journey
	EffectEnd    time.Duration // journey → return
	ReturnEnd    time.Duration // return → integration
	ObserveUntil time.Duration // end of integration and of the session
}

// Planned returns the profile's boundaries with each event at the middle
// of its window, or where PlannedOnset and PlannedEffect put them.
func (p Profile) Planned() Boundaries {
	on, effect := p.Onset.Mid(), p.Effect.Mid()
	if p.PlannedOnset != 0 {
		on = p.PlannedOnset
	}
	if p.PlannedEffect != 0 {
		effect = p.PlannedEffect
	}
	eff := on + effect
	ret := eff + p.Return.Mid()
	return Boundaries{Onset: on, EffectEnd: eff, ReturnEnd: ret, ObserveUntil: p.ObserveUntil}
}

// Window returns the span of the drug clock that role r fills under b.
// The arrival phase has no window on the drug clock (it loops until the
// dose) and returns false.
func (b Boundaries) Window(r Role) (start, end time.Duration, ok bool) {
	switch r {
	case RoleSettling:
		return 0, b.Onset, true
	case RoleJourney:
		return b.Onset, b.EffectEnd, true
	case RoleReturn:
		return b.EffectEnd, b.ReturnEnd, true
	case RoleIntegration:
		return b.ReturnEnd, b.ObserveUntil, true
	}
	return 0, 0, false
}

// FindProfile returns the profile named name ("" means DefaultProfile).
func FindProfile(profiles []Profile, name string) (Profile, error) {
	if name == "" {
		name = DefaultProfile
	}
	var names []string
	for _, p := range profiles {
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return Profile{}, fmt.Errorf("profile %q: not found (have %s)", name, strings.Join(names, ", "))
}
