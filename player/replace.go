package player

import (
	"fmt"
	"time"

	"attune/player/timeline"
)

// crossfadeLoad carries out OpCrossfade: tl at at, crossfaded in over fade
// while playing, loaded through the master transition otherwise.
func (e *Engine) crossfadeLoad(tl timeline.Timeline, at, fade time.Duration) error {
	if err := tl.Validate(); err != nil {
		return fmt.Errorf("player: crossfade: %w", err)
	}
	if at < 0 || fade < 0 {
		return fmt.Errorf("player: crossfade at %s over %s: negative time", at, fade)
	}
	// The crossfade replaces the fade-in of an item starting at at.
	nl, err := e.newLoaded(tl, at, true)
	if err != nil {
		return fmt.Errorf("player: crossfade at %s: %w", at, err)
	}
	n := e.fadeSkip
	if fade > 0 {
		n = timeline.Samples(fade, e.cfg.Rate)
	}
	if e.state != StatePlaying || e.cur == nil || e.pend != nil {
		e.startTransition(nl, e.fadePause)
		return nil
	}
	e.cancelSkip()
	e.crossfadeWith(nl, n)
	return nil
}

// replace carries out OpReplace.
func (e *Engine) replace(tl timeline.Timeline, at time.Duration) error {
	if err := tl.Validate(); err != nil {
		return fmt.Errorf("player: replace: %w", err)
	}
	if e.state != StatePlaying || e.cur == nil || e.pend != nil || e.xf != nil || e.out != nil {
		return e.load(tl, at) // nothing sounds, or a fade is under way: a swap could be heard
	}
	if lead := at - e.toDur(e.timelinePos()); lead < ReplaceLead/2 {
		return fmt.Errorf("player: replace at %s: only %s ahead of the music, want %s", at, lead, ReplaceLead)
	}
	nl, err := e.newLoaded(tl, at, false)
	if err != nil {
		return fmt.Errorf("player: replace at %s: %w", at, err)
	}
	e.cancelReplace()
	e.rep = nl
	e.prep.add(nl)
	return nil
}

// cancelReplace drops a swap that has not happened yet.
func (e *Engine) cancelReplace() {
	if e.rep == nil {
		return
	}
	e.decks.swap = nil
	e.drainEvents(e.rep)
	e.prep.retire(e.rep)
	e.rep = nil
}

// advanceReplace moves a pending swap on after a block: once the mix has
// swapped, the old deck is released; when the new timeline is ready it is
// armed on the mix; when it is not ready in time it is placed again, a
// ReplaceLead further on.
func (e *Engine) advanceReplace() {
	if e.rep == nil {
		return
	}
	if e.decks.swapped != nil {
		e.release(e.decks.swapped)
		e.decks.swapped = nil
		e.cur, e.rep = e.decks.cur, nil
		return
	}
	if e.decks.swap != nil {
		return // armed
	}
	pos := e.timelinePos()
	if e.rep.isReady() && e.rep.base-pos > int64(e.cfg.Block) {
		d := newDeck(e.rep, e.cur.env.Gain())
		e.decks.swap, e.decks.swapAt = d, e.rep.base-e.cur.l.base
		return
	}
	if e.rep.base-pos <= int64(e.cfg.Block) { // too late: try again further on
		tl, at := e.rep.tl, e.toDur(pos)+ReplaceLead
		e.cancelReplace()
		if nl, err := e.newLoaded(tl, at, false); err == nil {
			e.rep = nl
			e.prep.add(nl)
		}
	}
}
