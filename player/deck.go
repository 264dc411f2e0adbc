package player

import (
	"time"

	"attune/player/dsp"
	"attune/player/timeline"
)

// skipTurnFade is how fast a deck that is still fading out from one skip is
// taken down when a second skip needs its place on the mix: from the gain it
// has, on the same equal-power curve, to silence.
const skipTurnFade = 100 * time.Millisecond

// deck is a loaded timeline on the mix, with an envelope of its own. The
// skip crossfade moves the decks' envelopes; the pause, quiet and stop fades
// are the master envelope's, after the decks.
type deck struct {
	l   *loaded
	src seqSource
	env *dsp.Envelope
	// fadeEnd is the envelope position at which its fade-out reaches
	// silence, −1 while it is not fading out.
	fadeEnd int64
}

// newDeck puts l on a deck at envelope gain g (linear).
func newDeck(l *loaded, g float64) *deck {
	d := &deck{l: l, fadeEnd: -1}
	d.src.set(l)
	d.env = dsp.NewEnvelope(&d.src, g)
	return d
}

// fadeOut fades the deck to silence over n samples from where it is, unless
// it already reaches silence sooner.
func (d *deck) fadeOut(n int64) {
	n = max(n, 1)
	end := d.env.Position() + n
	if d.fadeEnd >= 0 && d.fadeEnd <= end {
		return
	}
	d.env.FadeTo(0, n)
	d.fadeEnd = end
}

// silent reports whether the deck outputs nothing from now on: faded out,
// or its sequencer is done.
func (d *deck) silent() bool {
	return d.src.ended || (d.fadeEnd >= 0 && d.env.Position() >= d.fadeEnd)
}

// pos is the sequencer sample the deck plays next.
func (d *deck) pos() int64 { return d.l.seq.Position() }

// seqSource streams a sequencer, and silence when there is none, once it
// has ended or once it reaches stop; it never drains, so the envelope after
// it never does either.
type seqSource struct {
	seq   *timeline.Sequencer
	ended bool
	// stop is the sequencer sample from which the source is silent, −1 for
	// none: where a skip's target starts on this deck's clock, so that the
	// outgoing deck never plays the item the incoming one is playing.
	stop int64
}

func (s *seqSource) set(l *loaded) {
	s.seq, s.ended, s.stop = nil, false, -1
	if l != nil {
		s.seq = l.seq
	}
}

// unstop removes the stop: the source plays on (again, if the stop had
// silenced it before the sequencer's end).
func (s *seqSource) unstop() {
	s.stop = -1
	if s.seq != nil {
		s.ended = s.seq.Position() >= s.seq.Len()
	}
}

// Stream implements beep.Streamer.
func (s *seqSource) Stream(out [][2]float64) (int, bool) {
	n := 0
	if s.seq != nil && !s.ended {
		want := len(out)
		if s.stop >= 0 {
			want = int(max(min(int64(want), s.stop-s.seq.Position()), 0))
		}
		var ok bool
		if want > 0 {
			n, ok = s.seq.Stream(out[:want])
		}
		if !ok || n < len(out) {
			s.ended = true
		}
	}
	clear(out[n:])
	return len(out), true
}

// Err implements beep.Streamer.
func (s *seqSource) Err() error { return nil }

// deckMix sums the decks: the current one, and the outgoing one during a
// skip crossfade. It always fills its output and never drains.
type deckMix struct {
	cur, out *deck
	tmp      [][2]float64 // the outgoing deck's block
	// swap, when set, replaces cur on the sample where cur's sequencer
	// reaches swapAt (OpReplace); swapped is the deck it replaced, for the
	// engine to release.
	swap, swapped *deck
	swapAt        int64
}

// Stream implements beep.Streamer; out must be no longer than the engine's
// block.
func (m *deckMix) Stream(out [][2]float64) (int, bool) {
	switch {
	case m.cur == nil:
		clear(out)
	case m.swap != nil && m.swapAt-m.cur.pos() < int64(len(out)):
		k := max(m.swapAt-m.cur.pos(), 0)
		m.cur.env.Stream(out[:k])
		m.swapped, m.cur, m.swap = m.cur, m.swap, nil
		m.cur.env.Stream(out[k:])
	default:
		m.cur.env.Stream(out)
	}
	if m.out != nil {
		tmp := m.tmp[:len(out)]
		m.out.env.Stream(tmp)
		for i := range out {
			out[i][0] += tmp[i][0]
			out[i][1] += tmp[i][1]
		}
	}
	return len(out), true
}

// Err implements beep.Streamer.
func (m *deckMix) Err() error { return nil }
