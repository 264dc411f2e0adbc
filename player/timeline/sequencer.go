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

// Defaults and fixed lengths of the sequencer's own fades and buffers.
const (
	// DefaultPreroll is how long before its start an item is opened, sought
	// and its first ReadAhead of audio decoded.
	DefaultPreroll = 5 * time.Second
	// MinPreroll is the shortest preroll Config accepts.
	MinPreroll = 2 * time.Second
	// FailFade is how long a source that fails mid-play takes to fade out.
	FailFade = time.Second
	// LateFade is the shortest fade-in of an item that starts late because
	// it was not ready at its start sample, or resumes after an underrun.
	LateFade = time.Second
	// ReadAhead is how much decoded audio Prepare keeps buffered for each
	// open item: FailFade to fade out when a source fails, plus what Stream
	// may consume between two Prepare calls (a block of up to a second
	// offline; live, the preparer's 100 ms cadence with a second of slack
	// for a busy machine), plus a quarter second of margin.
	ReadAhead = FailFade + 1250*time.Millisecond
	// LowWater is the underrun threshold: when, beyond the block being
	// streamed, less than this is buffered for a sounding item whose source
	// has not finished, Stream fades out what it still has.
	LowWater = 500 * time.Millisecond
	// prerollCheck is how much of a new source Prepare decodes before it
	// declares the item ready; a source failing within it is OpenFailed.
	prerollCheck = FailFade + 250*time.Millisecond
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
	// not called early enough; Err is ErrNotReady) and starts late, when
	// ready; or, mid-item, its read-ahead ran low (Prepare stalled; Err is
	// ErrStalled) and it fades out from Sample, then back in on the
	// timeline's sample once Prepare has refilled it.
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
	ErrStalled    = errors.New("read-ahead ran low: decoding (Prepare) fell behind; faded out until it catches up")
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
// non-real-time goroutine calls Prepare often (live every 100–200 ms,
// offline before every block). Prepare opens, seeks and pre-rolls upcoming
// items, closes finished ones, and does all the decoding: it tops up each
// open item's read-ahead ring to ReadAhead. Stream only mixes what the
// rings hold. They share nothing but atomics, the rings' cells (handed
// over by those atomics) and the Events channel. Close is called once
// neither runs any more.
//
// Stream never allocates in steady state, never blocks, takes no lock, and
// does no decoding and no I/O. If Prepare stalls (a decoder blocked on a
// hung network read, a starved machine) and an item's buffered audio falls
// below LowWater beyond the current block, Stream fades out what it still
// has (S-curve, reaching exactly zero), reports an Underrun (ErrStalled),
// and keeps the timeline moving in silence. Once Prepare has refilled the
// ring (at least a block and twice LowWater), Stream fades the item back in
// over LateFade at the sample the timeline has reached: the audio that
// should have sounded meanwhile is dropped (Prepare decodes and discards
// it), so the item stays on the drug clock. An item with less than
// LateFade left stays silent to its End.
type Sequencer struct {
	rate     int
	opener   Opener
	events   chan<- Event
	preroll  int64
	failFade int64
	lateFade int64
	lowWater int64
	ahead    int64 // ring size: frames decoded ahead of what is heard
	preFill  int64 // frames decoded before an item is ready
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
	scratch   [][2]float64   // where frames a starved Stream skipped are decoded
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
		lowWater: Samples(LowWater, cfg.Rate),
		ahead:    Samples(ReadAhead, cfg.Rate),
		preFill:  Samples(prerollCheck, cfg.Rate),
		slots:    make([]slot, len(ps)),
	}
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
