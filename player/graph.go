package player

import (
	"fmt"
	"time"

	"attune/player/timeline"
)

// loaded is a timeline placed at a position: a sequencer that plays it from
// there, on the engine's rate.
type loaded struct {
	tl     timeline.Timeline // as loaded, on its own clock
	seq    *timeline.Sequencer
	base   int64               // timeline sample of the sequencer's sample 0
	index  []int               // sequencer item → tl item
	events chan timeline.Event // the sequencer's events
	ready  chan struct{}       // closed after its first Prepare
	// failed0 is set when its first item could not be opened (seen in its
	// events).
	failed0 bool
}

func (l *loaded) isReady() bool {
	select {
	case <-l.ready:
		return true
	default:
		return false
	}
}

// transition is a change of what plays that waits for the master envelope
// to have faded out: a load, seek, a skip while paused or stopped (next is
// the new timeline) or stop (next is nil).
type transition struct {
	next   *loaded
	fadeIn int64
}

// newLoaded cuts tl at position at and makes a sequencer for what is left.
// For a skip (skip true) the item that starts at at loses its own fade-in:
// the engine's crossfade (or resume fade) replaces it.
func (e *Engine) newLoaded(tl timeline.Timeline, at time.Duration, skip bool) (*loaded, error) {
	rest, index := cut(tl, at, skip)
	if len(rest.Items) == 0 {
		return nil, fmt.Errorf("position %s is past the timeline's end", at)
	}
	ch := make(chan timeline.Event, 64)
	seq, err := timeline.NewSequencer(rest, timeline.Config{
		Rate: e.cfg.Rate, Opener: e.cfg.Opener, Events: ch, Preroll: e.cfg.Preroll,
	})
	if err != nil {
		return nil, err
	}
	return &loaded{
		tl: tl, seq: seq, base: timeline.Samples(at, e.cfg.Rate),
		index: index, events: ch, ready: make(chan struct{}),
	}, nil
}

// cut returns what of tl sounds from at on, shifted so at is 0, and the index
// in tl of each item kept. An item that sounds at at keeps playing from there
// (its Offset moves on) without its fade-in, which the engine's own fade-in
// replaces; during a crossfade only the incoming item is kept. An item that
// starts exactly at at keeps its fade-in unless dropFadeIn. A lone
// fade-out that no longer fits is shortened to what is left of the item.
func cut(tl timeline.Timeline, at time.Duration, dropFadeIn bool) (timeline.Timeline, []int) {
	var out timeline.Timeline
	var index []int
	items := tl.Items
	for i, it := range items {
		if it.End <= at {
			continue
		}
		if it.Start < at {
			if i+1 < len(items) && items[i+1].Start <= at {
				continue // crossfading out: keep only the incoming item
			}
			it.Offset += at - it.Start
			it.FadeIn = 0
			it.Start = at
			it.FadeOut = min(it.FadeOut, it.End-at)
		} else if it.Start == at && dropFadeIn {
			it.FadeIn = 0
		}
		it.Start -= at
		it.End -= at
		out.Items = append(out.Items, it)
		index = append(index, i)
	}
	return out, index
}

// startTransition fades the master envelope out over fade samples and then
// switches to next (nil: stop), fading in over fade if the engine is
// playing. A skip waiting for its crossfade is dropped: next replaces it.
func (e *Engine) startTransition(next *loaded, fade int64) {
	if e.pend != nil && e.pend.next != nil {
		e.prep.retire(e.pend.next)
	}
	e.cancelSkip()
	e.cancelReplace()
	e.pend = &transition{next: next, fadeIn: fade}
	if next != nil {
		e.prep.add(next)
	}
	e.pauseEnvelope(fade)
}

// pauseEnvelope fades the envelope out and holds it, unless it is already
// fading out or held (a shorter fade never cuts a running one short).
func (e *Engine) pauseEnvelope(fade int64) {
	e.env.Pause(fade)
}

// advance moves the state machine on after a block: skip crossfades, the
// end of the timeline, and transitions whose fade-out is done.
func (e *Engine) advance() {
	e.prep.flush()
	e.advanceReplace()
	e.advanceSkip()
	if e.cur != nil && e.cur.src.ended && e.pend == nil && e.xf == nil && e.out == nil {
		e.cancelReplace()
		e.release(e.cur)
		e.cur = nil
		e.setDecks()
		e.state = StateStopped
		e.env.Pause(1) // the sequencer's tail is silent already
		e.reportState()
	}
	if e.pend == nil || !e.env.Held() {
		return
	}
	p := e.pend
	if p.next != nil && !p.next.isReady() {
		return // hold silent until the new timeline is opened
	}
	e.cancelSkip()
	for _, d := range [2]*deck{e.out, e.cur} {
		if d != nil {
			e.release(d)
		}
	}
	e.cur, e.out, e.pend = nil, nil, nil
	if p.next != nil {
		e.cur = newDeck(p.next, 1)
	}
	e.setDecks()
	if e.cur == nil {
		e.state = StateStopped
	} else {
		e.posNow.Store(e.cur.l.base)
		if e.state == StatePlaying && !e.exiting {
			e.env.FadeTo(e.level(), p.fadeIn)
			e.env.Resume(p.fadeIn)
		}
	}
	e.reportState()
}

// release takes d off the mix: its last events are passed on and its
// sequencer is closed.
func (e *Engine) release(d *deck) {
	e.drainEvents(d.l)
	e.prep.retire(d.l)
}

// setDecks hands the decks to the mix.
func (e *Engine) setDecks() {
	e.decks.cur, e.decks.out = e.cur, e.out
}

// timelinePos is the timeline sample the mix has reached: the current
// deck's (the incoming one's during a skip crossfade).
func (e *Engine) timelinePos() int64 {
	if e.cur == nil {
		return e.posNow.Load()
	}
	return e.cur.l.base + e.cur.pos()
}

// reportState publishes the state and sends an event when it changed.
func (e *Engine) reportState() {
	s := e.state
	if s == StatePlaying && e.quiet {
		s = StateQuiet
	}
	if s == e.reported {
		return
	}
	e.reported = s
	e.stateAt.Store(int32(s))
	e.emit(Event{Kind: EventState, State: s, Position: e.toDur(e.timelinePos()), Item: -1})
}

// forwardItemEvents passes the sequencers' events on, on the timeline's
// clock and with the timeline's item numbers: the outgoing deck's first,
// then the current deck's, then those of what waits to play.
func (e *Engine) forwardItemEvents() {
	for _, d := range [2]*deck{e.out, e.cur} {
		if d != nil {
			e.drainEvents(d.l)
		}
	}
	if e.xf != nil {
		e.drainEvents(e.xf)
	}
	if e.rep != nil {
		e.drainEvents(e.rep)
	}
	if e.pend != nil && e.pend.next != nil {
		e.drainEvents(e.pend.next)
	}
}

// drainEvents forwards what l's sequencer has sent so far.
func (e *Engine) drainEvents(l *loaded) {
	for {
		select {
		case ev := <-l.events:
			if ev.Kind == timeline.OpenFailed && ev.Item == 0 {
				l.failed0 = true
			}
			e.emit(itemEvent(ev, l, e.toDur(l.base+ev.Sample)))
		default:
			return
		}
	}
}

// itemEvent translates a sequencer event of l.
func itemEvent(ev timeline.Event, l *loaded, pos time.Duration) Event {
	out := Event{Position: pos, Track: ev.Track, ItemEvent: ev.Kind, Err: ev.Err, Item: -1}
	if ev.Item >= 0 && ev.Item < len(l.index) {
		out.Item = l.index[ev.Item]
	}
	switch ev.Kind {
	case timeline.ItemStarted:
		out.Kind = EventItemStarted
	case timeline.ItemEnded:
		out.Kind = EventItemEnded
	case timeline.Underrun:
		out.Kind = EventUnderrun
	default:
		out.Kind = EventItemFailed
	}
	return out
}
