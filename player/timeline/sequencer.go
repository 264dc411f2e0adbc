package timeline

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gopxl/beep/v2"
)

// Source is an opened track at the engine rate, as the sequencer needs it.
// beep.StreamSeekCloser satisfies it.
type Source interface {
	beep.Streamer
	// Seek moves to sample frame p (at the engine rate) of the track.
	Seek(p int) error
	Close() error
}

// Opener opens an item's track for playback at rate Hz (decoding and
// resampling are its business). The sequencer calls it from Prepare, never
// from Stream. media/decode implements it.
type Opener interface {
	Open(ctx context.Context, item Item, rate int) (Source, error)
}

// Defaults and fixed lengths of the sequencer's own fades.
const (
	// DefaultPreroll is how long before its start an item is opened, sought
	// and its first FailFade of audio decoded.
	DefaultPreroll = 5 * time.Second
	// MinPreroll is the shortest preroll Config accepts.
	MinPreroll = 2 * time.Second
	// FailFade is how long a source that fails mid-play takes to fade out.
	FailFade = time.Second
	// LateFade is the shortest fade-in of an item that starts late because
	// it was not ready at its start sample.
	LateFade = time.Second
)

// EventKind says what happened to an item.
type EventKind uint8

// Event kinds. Sample is a timeline sample in every case.
const (
	// ItemStarted: the item began sounding at Sample: its Start, or later
	// if it underran.
	ItemStarted EventKind = iota + 1
	// ItemEnded: the item reached its End (Sample) and was released.
	ItemEnded
	// OpenFailed: Prepare could not open, seek or pre-roll the item (Err
	// says why); it stays silent. Sample is its planned Start.
	OpenFailed
	// SourceFailed: the source failed mid-play (its Err, a panic, or no
	// progress); it fades out over FailFade starting at Sample and the
	// sequencer moves on.
	SourceFailed
	// EndedEarly: the source ran out before the item's End; silence from
	// Sample until the next item.
	EndedEarly
	// Underrun: the item was not ready at its start sample (Prepare was
	// not called early enough). It starts late, when ready.
	Underrun
	// Missed: the item never became ready before its End and did not play.
	Missed
)

var kindNames = [...]string{"", "started", "ended", "open-failed", "source-failed", "ended-early", "underrun", "missed"}

// String names the kind.
func (k EventKind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// MarshalText makes kinds readable in JSON reports.
func (k EventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name back, so reports round-trip.
func (k *EventKind) UnmarshalText(b []byte) error {
	for i, name := range kindNames {
		if i > 0 && name == string(b) {
			*k = EventKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown event kind %q", b)
}

// Event reports something that happened to an item.
type Event struct {
	Kind   EventKind
	Item   int    // index in Timeline.Items
	Track  string // the item's track
	Sample int64  // timeline sample where it happened
	Err    error  // the reason, for failures, underruns and early ends
}

func (e Event) String() string {
	s := fmt.Sprintf("%s item %d (%s) at sample %d", e.Kind, e.Item+1, e.Track, e.Sample)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Reasons carried by events.
var (
	ErrNotReady   = errors.New("not opened by its start sample")
	ErrEndedEarly = errors.New("source ended before the item's end")
	ErrNoProgress = errors.New("source returned no samples")
	ErrPanic      = errors.New("source panicked")
)

// Config configures a Sequencer.
type Config struct {
	Rate   int    // engine rate, Hz
	Opener Opener // opens items' tracks; called from Prepare only
	// Events receives what happens to items. Sends never block: when the
	// channel is full the event is dropped and counted (Dropped). Nil
	// discards events.
	Events chan<- Event
	// Preroll is how far ahead of its start Prepare opens an item; 0 means
	// DefaultPreroll. At least MinPreroll.
	Preroll time.Duration
}

// Slot states, shared between Prepare and Stream through an atomic.
// Prepare owns a slot while pending/opening and again once done; Stream owns
// it while playing. Ready slots belong to whoever wins the CompareAndSwap.
const (
	statePending int32 = iota
	stateOpening
	stateReady
	statePlaying
	stateDone   // Stream is finished with it; Prepare closes the source
	stateClosed // final
	stateMissed // final: never opened in time
	stateFailed // final: open failed (source already closed)
)

// Sequencer plays a timeline as one continuous stream at the engine rate,
// each item mixed in on exactly its start sample. It is a beep.Streamer.
//
// Two goroutines use it: the audio goroutine calls Stream, and one
// non-real-time goroutine calls Prepare often (every 100–500 ms is plenty)
// to open, seek and pre-roll upcoming items and close finished ones. They
// share nothing but atomics and the Events channel. Close is called once
// neither runs any more.
//
// Stream never allocates in steady state, takes no lock and never opens,
// seeks or closes anything. It does call the open sources' Stream methods
// to keep each one decoded FailFade ahead, so a decoder's own reads of its
// file happen there (small, sequential reads, normally from the page
// cache). Moving that decoding to Prepare's goroutine, with the read-ahead
// ring as the hand-off, is the next step if a device shows underruns.
type Sequencer struct {
	rate     int
	opener   Opener
	events   chan<- Event
	preroll  int64
	failFade int64
	lateFade int64
	ahead    int // frames each source is decoded ahead of what is heard
	slots    []slot
	end      int64 // the last item's End: the stream's length

	published atomic.Int64 // Stream's position, for Prepare and Position
	dropped   atomic.Int64 // events dropped on a full channel

	// Stream's own.
	pos   int64
	first int // slots before it are finished

	// Prepare's own.
	prepFirst int
	free      [][][2]float64 // rings of closed slots, for reuse
}

// NewSequencer places tl at cfg.Rate and returns a sequencer positioned at
// timeline sample 0. Nothing is opened until Prepare.
func NewSequencer(tl Timeline, cfg Config) (*Sequencer, error) {
	ps, err := tl.Place(cfg.Rate)
	if err != nil {
		return nil, err
	}
	if cfg.Opener == nil {
		return nil, errors.New("timeline: sequencer: no Opener")
	}
	preroll := cfg.Preroll
	if preroll == 0 {
		preroll = DefaultPreroll
	}
	if preroll < MinPreroll {
		return nil, fmt.Errorf("timeline: sequencer: preroll %s is shorter than %s", preroll, MinPreroll)
	}
	s := &Sequencer{
		rate:     cfg.Rate,
		opener:   cfg.Opener,
		events:   cfg.Events,
		preroll:  Samples(preroll, cfg.Rate),
		failFade: Samples(FailFade, cfg.Rate),
		lateFade: Samples(LateFade, cfg.Rate),
		slots:    make([]slot, len(ps)),
	}
	// A quarter second beyond the failure fade, so that blocks up to that
	// size still leave a whole FailFade of audio to fade when a source dies.
	s.ahead = int(s.failFade) + cfg.Rate/4
	for i, p := range ps {
		s.slots[i].p = p
		s.end = max(s.end, p.End)
	}
	return s, nil
}

// Placements returns the items as the sequencer plays them, in sample
// positions at its rate.
func (s *Sequencer) Placements() []Placement {
	ps := make([]Placement, len(s.slots))
	for i := range s.slots {
		ps[i] = s.slots[i].p
	}
	return ps
}

// Len is the length of the stream in samples: the last item's End.
func (s *Sequencer) Len() int64 { return s.end }

// Position is the timeline sample Stream will produce next. Safe from any
// goroutine.
func (s *Sequencer) Position() int64 { return s.published.Load() }

// Dropped counts events dropped because the Events channel was full.
func (s *Sequencer) Dropped() int64 { return s.dropped.Load() }

// Err is always nil: a failing item is faded out and reported as an Event,
// it never stops the stream.
func (s *Sequencer) Err() error { return nil }

// Stream writes the next len(out) samples of the timeline to out. It
// returns false once the last item has ended. Gaps are exact zeros.
func (s *Sequencer) Stream(out [][2]float64) (int, bool) {
	if s.pos >= s.end {
		return 0, false
	}
	if rem := s.end - s.pos; int64(len(out)) > rem {
		out = out[:rem]
	}
	clear(out)
	p, q := s.pos, s.pos+int64(len(out))
	for i := s.first; i < len(s.slots) && s.slots[i].p.Start < q; i++ {
		if sl := &s.slots[i]; sl.phase != phaseFinished {
			s.step(sl, out, p, q)
		}
	}
	for s.first < len(s.slots) && s.slots[s.first].phase == phaseFinished {
		s.first++
	}
	s.pos = q
	s.published.Store(q)
	return len(out), true
}

// step plays slot sl's part of the block out, which covers timeline samples
// [p, q).
func (s *Sequencer) step(sl *slot, out [][2]float64, p, q int64) {
	a, b := max(p, sl.p.Start), min(q, sl.p.End)
	if a >= b {
		return
	}
	if sl.phase == phaseWaiting && !s.take(sl, a) {
		if b == sl.p.End {
			s.retire(sl)
		}
		return
	}
	t := s.play(sl, out, p, a, b)
	if sl.phase == phaseFinished {
		return
	}
	switch {
	case sl.failing && t >= sl.failAt+sl.failLen:
		s.finish(sl)
	case t < b && sl.n == 0 && sl.eof: // ran dry before End, without an error
		s.emit(sl, EndedEarly, t, ErrEndedEarly)
		s.finish(sl)
	case b == sl.p.End:
		s.emit(sl, ItemEnded, b, nil)
		s.finish(sl)
	}
}

// take claims a ready slot for playing from timeline sample a. It reports
// false, once as an Underrun, if the slot is not ready.
func (s *Sequencer) take(sl *slot, a int64) bool {
	switch sl.state.Load() {
	case stateReady:
		if sl.state.CompareAndSwap(stateReady, statePlaying) {
			sl.begin(a, s.lateFade)
			sl.phase = phasePlaying
			s.emit(sl, ItemStarted, a, nil)
			return true
		}
	case stateFailed: // Prepare reported it
		sl.phase = phaseFinished
		return false
	}
	if !sl.underran {
		sl.underran = true
		s.emit(sl, Underrun, a, ErrNotReady)
	}
	return false
}

// retire gives up on a slot that never played, at its End.
func (s *Sequencer) retire(sl *slot) {
	sl.phase = phaseFinished
	if sl.state.CompareAndSwap(statePending, stateMissed) || sl.state.CompareAndSwap(stateReady, stateDone) {
		s.emit(sl, Missed, sl.p.End, ErrNotReady)
		return
	}
	if sl.state.Load() == stateOpening { // Prepare will find it stale
		s.emit(sl, Missed, sl.p.End, ErrNotReady)
	}
}

// finish hands a playing slot back to Prepare for closing.
func (s *Sequencer) finish(sl *slot) {
	sl.phase = phaseFinished
	sl.state.Store(stateDone)
}

// play mixes sl's audio for timeline samples [a, b) into out (which starts
// at p) and returns where it stopped: b, or earlier if the source ran dry or
// its failure fade ended.
func (s *Sequencer) play(sl *slot, out [][2]float64, p, a, b int64) int64 {
	if sl.failing {
		b = min(b, sl.failAt+sl.failLen)
	}
	t := a
	for t < b {
		if sl.n == 0 {
			if sl.eof {
				break
			}
			sl.fill()
			s.checkFailure(sl, t)
			if sl.failing {
				b = min(b, sl.failAt+sl.failLen)
			}
			continue
		}
		k := min(b-t, int64(sl.n), int64(len(sl.ring)-sl.r))
		sl.mix(out[t-p:t-p+k], sl.ring[sl.r:sl.r+int(k)], t)
		sl.r = (sl.r + int(k)) % len(sl.ring)
		sl.n -= int(k)
		t += k
	}
	if !sl.failing {
		sl.fill() // keep a whole FailFade decoded ahead
		s.checkFailure(sl, t)
	}
	return t
}

// checkFailure starts the failure fade at timeline sample t if the source
// has just failed: over FailFade, or less if less audio is buffered or the
// item ends sooner, so the level always reaches zero on the last sample.
func (s *Sequencer) checkFailure(sl *slot, t int64) {
	if sl.err == nil || sl.failing {
		return
	}
	sl.failing = true
	sl.failAt = t
	sl.failLen = min(s.failFade, int64(sl.n), sl.p.End-t)
	s.emit(sl, SourceFailed, t, sl.err)
}

// emit sends an event without blocking.
func (s *Sequencer) emit(sl *slot, k EventKind, sample int64, err error) {
	if s.events == nil {
		return
	}
	select {
	case s.events <- Event{Kind: k, Item: sl.p.Index, Track: sl.p.Item.Track, Sample: sample, Err: err}:
	default:
		s.dropped.Add(1)
	}
}
