package playlists

import (
	"fmt"
	"time"
)

// Validate checks that the boundaries are in session order on the drug
// clock: 0 ≤ onset ≤ effect end ≤ return end ≤ observe until, and that the
// session lasts. Phases of zero length are allowed (a jump passes over
// them).
func (b Boundaries) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w boundaries (onset %s, effect end %s, return end %s, observe until %s): %s",
			ErrInvalid, b.Onset, b.EffectEnd, b.ReturnEnd, b.ObserveUntil, fmt.Sprintf(format, args...))
	}
	switch {
	case b.Onset < 0:
		return bad("onset is before the dose")
	case b.EffectEnd < b.Onset:
		return bad("the effect ends before the onset")
	case b.ReturnEnd < b.EffectEnd:
		return bad("the return ends before the effect")
	case b.ObserveUntil < b.ReturnEnd:
		return bad("observation ends before the return")
	case b.ObserveUntil <= 0 || b.ObserveUntil > MaxObserve:
		return bad("observe until: want 0…%s", MaxObserve)
	}
	return nil
}

// points returns the movable boundaries in order.
func (b Boundaries) points() [3]time.Duration {
	return [3]time.Duration{b.Onset, b.EffectEnd, b.ReturnEnd}
}

func (b Boundaries) withPoints(ps [3]time.Duration) Boundaries {
	b.Onset, b.EffectEnd, b.ReturnEnd = ps[0], ps[1], ps[2]
	return b
}

// startIndex is the index in points of the boundary where role r begins,
// -1 for settling (it begins at the dose).
func startIndex(r Role) (int, error) {
	switch r {
	case RoleSettling:
		return -1, nil
	case RoleJourney:
		return 0, nil
	case RoleReturn:
		return 1, nil
	case RoleIntegration:
		return 2, nil
	}
	return 0, fmt.Errorf("%w role %q: it has no boundary on the drug clock (want settling, journey, return or integration)", ErrInvalid, r)
}

// JumpTo returns the boundaries with role r beginning now: the boundary
// where r begins and every later one move by the same amount (so r and
// the phases after it keep their lengths), never past the end of
// observation. OnsetNow is JumpTo(RoleJourney, now). Settling begins at
// the dose and cannot move: jumping to it moves the onset and every later
// boundary by now, a whole settling again from now.
func (b Boundaries) JumpTo(r Role, now time.Duration) (Boundaries, error) {
	i, err := startIndex(r)
	if err != nil {
		return b, err
	}
	if now < 0 || now > b.ObserveUntil {
		return b, fmt.Errorf("%w jump to %s at %s: want a time from the dose to the end of observation (%s)", ErrInvalid, r, now, b.ObserveUntil)
	}
	ps := b.points()
	delta := now
	if i >= 0 {
		delta = now - ps[i]
	}
	for k := max(i, 0); k < len(ps); k++ {
		ps[k] = min(max(ps[k]+delta, 0), b.ObserveUntil)
	}
	// Earlier boundaries that a backward jump left after now come back to it.
	for k := max(i, 0) - 1; k >= 0; k-- {
		ps[k] = min(ps[k], ps[k+1])
	}
	return b.withPoints(ps), nil
}

// OnsetNow returns the boundaries re-anchored at an observed onset: the
// journey begins now and every later boundary moves with it.
func (b Boundaries) OnsetNow(now time.Duration) (Boundaries, error) {
	return b.JumpTo(RoleJourney, now)
}

// Extend returns the boundaries with role r's end moved by d (shortened
// when d < 0), and every later boundary with it, never before now or the
// phase's start and never past the end of observation, except that
// extending integration extends the observation itself.
func (b Boundaries) Extend(r Role, d, now time.Duration) (Boundaries, error) {
	i, err := startIndex(r)
	if err != nil {
		return b, err
	}
	start, _, _ := b.Window(r)
	if r == RoleIntegration {
		b.ObserveUntil = min(max(b.ObserveUntil+d, now, start), MaxObserve)
		return b, nil
	}
	ps := b.points()
	lo := max(now, start)
	for k := i + 1; k < len(ps); k++ {
		ps[k] = min(max(ps[k]+d, lo), b.ObserveUntil)
	}
	return b.withPoints(ps), nil
}
