package player

// The skip crossfade. A skip while playing puts its target on a second
// deck: once the target's sequencer is ready (its first Prepare has run)
// the current deck fades out on cos and the new one fades in on sin over
// the whole skip fade, both from the same sample, so their powers sum to a
// constant. Until then the current deck plays on at its level. The master
// envelope after the decks (pause, quiet, stop) is not involved: a pause
// mid-crossfade holds both decks, and resume continues the crossfade where
// it stood.
//
// The outgoing deck stops where the target starts on its own clock, so it
// never plays what the incoming deck plays: when that comes sooner than the
// skip fade, its fade-out is shortened to end there (in a gapless timeline
// its own item ends there anyway). When the current deck comes within
// skipTurnFade (and a block) of the target's start before the crossfade
// could begin (the target not opened yet, or a skip issued that late), the
// skip is dropped: the current deck plays on into the target through the
// timeline's own transition, which is where the skip was going.
//
// A skip during a crossfade makes the newest target take over: the deck
// that was fading in turns around from its gain, and the one still fading
// out is taken down over skipTurnFade (from its gain, on the same curve)
// to make room; the new crossfade starts when that one is silent. A target
// whose first item cannot be opened is passed over for the item after it;
// when there is none the skip is dropped and the current deck plays on,
// never cut (the failure is reported as an item_failed event either way).

// crossfadeTo starts a skip to nl while playing.
func (e *Engine) crossfadeTo(nl *loaded) {
	e.crossfadeWith(nl, e.fadeSkip)
	// The earliest target's start: the deck never plays past it.
	if stop, s := nl.base-e.cur.l.base, &e.cur.src; s.stop < 0 || stop < s.stop {
		s.stop = stop
	}
}

// crossfadeWith makes nl the target of a crossfade of fade samples, which
// starts once nl is ready.
func (e *Engine) crossfadeWith(nl *loaded, fade int64) {
	e.cancelReplace()
	if e.xf != nil { // the newest target takes over
		e.drainEvents(e.xf)
		e.prep.retire(e.xf)
	}
	e.xf, e.xfFade = nl, max(fade, 1)
	e.prep.add(nl)
	if e.out != nil {
		e.out.fadeOut(e.fadeTurn)
	}
}

// advanceSkip moves a skip on after a block or a command: it releases the
// outgoing deck once silent and starts the crossfade once it can.
func (e *Engine) advanceSkip() {
	if e.out != nil && e.out.silent() {
		e.release(e.out)
		e.out = nil
		e.setDecks()
	}
	for e.xf != nil && e.xf.isReady() {
		e.drainEvents(e.xf)
		if !e.xf.failed0 {
			break
		}
		e.retargetSkip()
	}
	if e.xf == nil {
		return
	}
	if c := e.cur; c.src.stop >= 0 && c.src.stop-c.pos() <= e.fadeTurn+int64(e.cfg.Block) {
		e.cancelSkip() // too late to fade out before the target starts
		return
	}
	if e.xf.isReady() && e.out == nil {
		e.startCrossfade()
	}
}

// startCrossfade crossfades from the current deck to the ready target.
func (e *Engine) startCrossfade() {
	in, old := e.xf, e.cur
	e.xf = nil
	fade := e.xfFade
	if old.src.stop >= 0 {
		old.fadeOut(min(fade, old.src.stop-old.pos()))
	} else {
		old.fadeOut(fade)
	}
	e.out = old
	e.cur = newDeck(in, 0)
	e.cur.env.FadeTo(1, fade)
	e.setDecks()
}

// retargetSkip replaces a target whose first item could not be opened by
// the item after it, or drops the skip when there is none.
func (e *Engine) retargetSkip() {
	f := e.xf
	e.xf = nil
	e.prep.retire(f)
	from := f.tl.Items[f.index[0]].Start
	for _, it := range f.tl.Items {
		if it.Start <= from {
			continue
		}
		if nl, err := e.newLoaded(f.tl, it.Start, true); err == nil {
			e.xf = nl
			e.prep.add(nl)
			return
		}
		break
	}
	e.cancelSkip()
}

// cancelSkip drops a skip that is waiting to crossfade: the current deck
// plays on, past where the skip would have stopped it.
func (e *Engine) cancelSkip() {
	if e.xf != nil {
		e.drainEvents(e.xf)
		e.prep.retire(e.xf)
		e.xf = nil
	}
	c := e.cur
	if c == nil || c.src.stop < 0 {
		return
	}
	c.src.unstop()
}
