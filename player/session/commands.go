package session

import (
	"fmt"
	"time"

	"attune/playlists"
)

// dose starts the drug clock back minutes ago and plans the session; the
// arrival music (or silence) crossfades into it over the transition.
func (c *Core) dose(back time.Duration, now time.Time) ([]Action, string, error) {
	if !c.rec.DosedAt.IsZero() {
		return nil, "", ErrDosed
	}
	if back < 0 || back > MaxBackdate {
		return nil, "", fmt.Errorf("%w: dosed %s ago: want 0…%s", ErrBadArgs, back, MaxBackdate)
	}
	c.rec.DosedAt, c.rec.Status = now.Add(-back).UTC(), StatusRunning
	c.rec.Boundaries = c.rec.Profile.Planned()
	plan, err := c.pr.Plan(c.rec.Boundaries)
	if err != nil {
		return nil, "", err
	}
	c.st.Plan, c.st.Paused = plan, nil
	detail := ""
	if back > 0 {
		detail = fmt.Sprintf("given %s ago", back)
	}
	acts, err := c.switchTo(back, c.transition())
	return acts, detail, err
}

func (c *Core) transition() time.Duration { return c.rec.Playlist.TransitionOrDefault() }

// switchTo plays the plan in force from clock on: crossfading from what
// sounds over fade, or, while paused, loading it silently for the resume.
func (c *Core) switchTo(clock, fade time.Duration) ([]Action, error) {
	tl, err := toTimeline(c.st.Plan.Items)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	if len(tl.Items) == 0 || clock >= tl.Items[len(tl.Items)-1].End {
		return []Action{{Op: OpStop}}, nil
	}
	if c.rec.Paused {
		return []Action{{Op: OpLoad, Timeline: tl, At: clock}}, nil
	}
	return []Action{{Op: OpCrossfade, Timeline: tl, At: clock, Fade: fade}}, nil
}

// replanFrom re-plans from clock with the item the plan has sounding then
// kept playing, and swaps to it seamlessly. The swap point is moved past
// any fade, so both plans sound the same there.
func (c *Core) replanFrom(clock time.Duration) ([]Action, error) {
	at := c.quietPoint(clock + ReplaceLead)
	c.markPlayed(at)
	var sounding *playlists.Item
	for i := len(c.st.Plan.Items) - 1; i >= 0; i-- {
		if it := c.st.Plan.Items[i]; it.Start <= at && at < it.End {
			sounding = &it
			break
		}
	}
	plan, err := c.pr.Replan(c.rec.Boundaries, playlists.Cursor{Now: at, Sounding: sounding, Played: c.st.Played})
	if err != nil {
		return nil, err
	}
	c.st.Plan = plan
	tl, err := toTimeline(plan.Items)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	if len(tl.Items) == 0 {
		return []Action{{Op: OpStop}}, nil
	}
	if c.rec.Paused {
		return nil, nil // the resume re-plans from the paused item
	}
	return []Action{{Op: OpReplace, Timeline: tl, At: at}}, nil
}

// quietPoint is the first time from t on when the plan is not fading.
func (c *Core) quietPoint(t time.Duration) time.Duration {
	for moved := true; moved; {
		moved = false
		for _, it := range c.st.Plan.Items {
			switch {
			case t >= it.Start && t < it.Start+it.FadeIn:
				t, moved = it.Start+it.FadeIn, true
			case it.FadeOut > 0 && t >= it.End-it.FadeOut && t < it.End:
				t, moved = it.End, true
			}
		}
	}
	return t
}

// onset re-anchors the journey at clock. Marked during settling, the
// journey's music crossfades in now over the transition; marked after the
// journey began as planned, the journey music plays on and every later
// boundary moves.
func (c *Core) onset(clock time.Duration) ([]Action, string, error) {
	b := c.rec.Boundaries
	if clock >= b.EffectEnd {
		return nil, "", fmt.Errorf("%w: the journey is over (the effect ended at %s)", ErrBadArgs, Clock(b.EffectEnd))
	}
	nb, err := b.OnsetNow(clock)
	if err != nil {
		return nil, "", err
	}
	late := clock >= b.Onset
	c.rec.Boundaries = nb
	if late {
		// The boundary already passed: the journey is playing; keep it.
		acts, err := c.replanFrom(clock)
		return acts, fmt.Sprintf("%s after the planned onset", (clock - b.Onset).Round(time.Second)), err
	}
	acts, err := c.freshFrom(clock, c.transition())
	return acts, fmt.Sprintf("%s before the planned onset", (b.Onset - clock).Round(time.Second)), err
}

// freshFrom re-plans from clock with nothing kept sounding and crossfades
// into it over fade.
func (c *Core) freshFrom(clock, fade time.Duration) ([]Action, error) {
	c.markPlayed(clock)
	plan, err := c.pr.Replan(c.rec.Boundaries, playlists.Cursor{Now: clock, Played: c.st.Played})
	if err != nil {
		return nil, err
	}
	c.st.Plan = plan
	if c.rec.Paused {
		c.st.Paused = nil // the resume starts on the new plan
	}
	return c.switchTo(clock, fade)
}

func (c *Core) extend(r playlists.Role, by, clock time.Duration) ([]Action, string, error) {
	if _, ok := c.rec.Playlist.Phase(r); !ok {
		return nil, "", fmt.Errorf("%w: the playlist has no %s phase", ErrBadArgs, r)
	}
	nb, err := c.rec.Boundaries.Extend(r, by, clock)
	if err != nil {
		return nil, "", err
	}
	c.rec.Boundaries = nb
	acts, err := c.replanFrom(clock)
	return acts, fmt.Sprintf("%s by %s", r, absDur(by)), err
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func (c *Core) jump(r playlists.Role, clock time.Duration) ([]Action, string, error) {
	if _, ok := c.rec.Playlist.Phase(r); !ok {
		return nil, "", fmt.Errorf("%w: the playlist has no %s phase", ErrBadArgs, r)
	}
	nb, err := c.rec.Boundaries.JumpTo(r, clock)
	if err != nil {
		return nil, "", err
	}
	c.rec.Boundaries = nb
	acts, err := c.freshFrom(clock, c.transition())
	return acts, string(r), err
}

// pause fades out and holds; the drug clock runs on. The item sounding is
// remembered where it stopped, so resume can carry it on.
func (c *Core) pause(clock time.Duration, dosed bool) ([]Action, string, error) {
	if c.rec.Paused {
		return nil, "already paused", nil
	}
	c.rec.Paused, c.rec.PausedAt = true, clock
	c.st.Paused = nil
	if dosed {
		for i := len(c.st.Plan.Items) - 1; i >= 0; i-- {
			if it := c.st.Plan.Items[i]; it.Start <= clock && clock < it.End {
				it.Offset += clock - it.Start
				it.Start, it.FadeIn, it.FadeOut = clock, 0, 0
				c.st.Paused = &it
				break
			}
		}
	}
	return []Action{{Op: OpPause}}, "", nil
}

// resume carries the paused item on from where it stopped and re-fits the
// rest of its phase so the next boundary stays where the drug clock puts
// it. A pause that outlasted the item's phase resumes on the phase the
// drug clock is in now.
func (c *Core) resume(clock time.Duration, dosed bool) ([]Action, string, error) {
	if !c.rec.Paused {
		return nil, "not paused", nil
	}
	pausedFor := clock - c.rec.PausedAt
	c.rec.Paused = false
	if !dosed {
		return []Action{{Op: OpResume}}, "", nil
	}
	c.markPlayed(c.rec.PausedAt)
	var sounding *playlists.Item
	if p := c.st.Paused; p != nil && c.phaseAt(clock) == p.Phase {
		it := *p
		if info, ok := c.pr.Tracks.TrackInfo(it.Track); ok || it.Soundscape() {
			it.Start = clock
			if !it.Soundscape() {
				it.End = clock + info.Duration - it.Offset
			} else {
				it.End = clock + (it.End - c.rec.PausedAt)
			}
			sounding = &it
		}
	}
	c.st.Paused = nil
	plan, err := c.pr.Replan(c.rec.Boundaries, playlists.Cursor{Now: clock, Sounding: sounding, Played: c.st.Played})
	if err != nil {
		return nil, "", err
	}
	c.st.Plan = plan
	tl, err := toTimeline(plan.Items)
	if err != nil {
		return nil, "", fmt.Errorf("plan: %w", err)
	}
	detail := fmt.Sprintf("after %s", pausedFor.Round(time.Second))
	if len(tl.Items) == 0 {
		return []Action{{Op: OpStop}}, detail, nil
	}
	return []Action{{Op: OpLoad, Timeline: tl, At: clock}, {Op: OpResume}}, detail, nil
}

// phaseAt is the role whose window holds clock under the boundaries now.
func (c *Core) phaseAt(clock time.Duration) playlists.Role {
	var r playlists.Role
	for _, ph := range c.rec.Playlist.Phases {
		if s, e, ok := c.rec.Boundaries.Window(ph.Role); ok && s <= clock && clock < e {
			r = ph.Role
		}
	}
	if r == "" {
		for _, ph := range c.rec.Playlist.Phases { // the first phase starts at the dose
			if _, _, ok := c.rec.Boundaries.Window(ph.Role); ok {
				return ph.Role
			}
		}
	}
	return r
}

// skip drops the sounding track: the rest of its phase is re-fitted from
// now without it, crossfading over the skip fade.
func (c *Core) skip(clock time.Duration, dosed bool) ([]Action, string, error) {
	if !dosed {
		return nil, "", fmt.Errorf("%w: the arrival music loops until the dose", ErrBadArgs)
	}
	if c.rec.Paused {
		if p := c.st.Paused; p != nil && p.Entry >= 0 {
			c.markPlayed(c.rec.PausedAt)
		}
		c.st.Paused = nil // resume starts the next track
		return nil, "while paused", nil
	}
	c.markPlayed(clock)
	acts, err := c.freshFrom(clock, c.lim.SkipFade)
	return acts, "", err
}

// volume sets the master volume, or with cmd.Relative steps it from the
// current one; a patient's stays within the room's range, and a patient's
// step never moves the level the other way (a "softer" from below the
// range's floor must not raise it to the floor).
func (c *Core) volume(cmd Command) ([]Action, string, error) {
	db := cmd.DB
	if cmd.Relative {
		if db != db || db < -80 || db > 80 {
			return nil, "", fmt.Errorf("%w: volume step %v dB: want -80…80", ErrBadArgs, cmd.DB)
		}
		db = min(max(c.rec.VolumeDB+db, -80), 0)
	} else if db != db || db > 0 || db < -80 {
		return nil, "", fmt.Errorf("%w: volume %v dB: want -80…0", ErrBadArgs, cmd.DB)
	}
	if cmd.Who.Role == RolePatient {
		db = min(max(db, c.lim.PatientMinDB), c.lim.PatientMaxDB)
		cur := c.rec.VolumeDB
		if cmd.Relative && (cmd.DB > 0 && db < cur || cmd.DB < 0 && db > cur) {
			db = cur
		}
	}
	c.rec.VolumeDB = db
	return []Action{{Op: OpVolume, DB: db}}, VolumeDetail(db), nil
}
