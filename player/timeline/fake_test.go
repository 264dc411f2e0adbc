package timeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"
)

// signal is what a fake track plays, per track sample i.
type signal func(i int) [2]float64

func dc(v float64) signal      { return func(int) [2]float64 { return [2]float64{v, v} } }
func leftDC(v float64) signal  { return func(int) [2]float64 { return [2]float64{v, 0} } }
func rightDC(v float64) signal { return func(int) [2]float64 { return [2]float64{0, v} } }
func ramp(step float64) signal {
	return func(i int) [2]float64 { return [2]float64{float64(i) * step, -float64(i) * step} }
}

// probe plays a constant 0.5 on the left and the track frame times step on
// the right, so the left channel is the item's gain and right/left*0.5/step
// the track frame that sounds.
func probe(step float64) signal {
	return func(i int) [2]float64 { return [2]float64{0.5, float64(i) * step} }
}
func sine(f, amp float64, rate int) signal {
	return func(i int) [2]float64 {
		v := amp * math.Sin(2*math.Pi*f*float64(i)/float64(rate))
		return [2]float64{v, v}
	}
}

// fakeTrack describes one fake track: its signal and length, and how it
// misbehaves.
type fakeTrack struct {
	sig     signal
	length  int   // track frames
	openErr error // Open fails
	failAt  int   // >0: after this track frame, Err is set
	failErr error
	panicAt int // >0: Stream panics once at this track frame
	stuckAt int // >0: Stream returns 0, true from this track frame
	gate    *gate
}

// gate blocks a fake source's Stream once, at a track frame, until it is
// released: a decoder stuck on a hung network read.
type gate struct {
	at      int
	stuck   chan struct{} // closed when Stream blocks
	release chan struct{} // closed by the test to let it go on
}

func newGate(at int) *gate {
	return &gate{at: at, stuck: make(chan struct{}), release: make(chan struct{})}
}

// fakeOpener opens fakeTracks by name and records what it did.
type fakeOpener struct {
	tracks map[string]fakeTrack
	onOpen func(Item) // optional, called on every Open

	mu     sync.Mutex // protects the counters; Open and Close run on Prepare's goroutine, tests read them after
	opened int
	closed int
	peak   int // most sources open at once
}

func (o *fakeOpener) Open(_ context.Context, it Item, rate int) (Source, error) {
	if o.onOpen != nil {
		o.onOpen(it)
	}
	tr, ok := o.tracks[it.Track]
	if !ok {
		return nil, fmt.Errorf("no track %q", it.Track)
	}
	if tr.openErr != nil {
		return nil, tr.openErr
	}
	o.mu.Lock()
	o.opened++
	o.peak = max(o.peak, o.opened-o.closed)
	o.mu.Unlock()
	return &fakeSource{tr: tr, o: o}, nil
}

func (o *fakeOpener) counts() (opened, closed int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.opened, o.closed
}

type fakeSource struct {
	tr     fakeTrack
	o      *fakeOpener
	pos    int
	err    error
	closed bool
	gated  bool // the gate has been passed
}

func (s *fakeSource) Stream(buf [][2]float64) (int, bool) {
	if s.err != nil || s.closed {
		return 0, false
	}
	n := 0
	for n < len(buf) && s.pos < s.tr.length {
		switch {
		case s.tr.failAt > 0 && s.pos >= s.tr.failAt:
			s.err = s.tr.failErr
			return n, n > 0 // beep's pattern: the error shows on the next call
		case s.tr.panicAt > 0 && s.pos >= s.tr.panicAt:
			panic("fake decoder bug")
		case s.tr.stuckAt > 0 && s.pos >= s.tr.stuckAt:
			return n, true
		case s.tr.gate != nil && s.pos == s.tr.gate.at && !s.gated:
			s.gated = true
			close(s.tr.gate.stuck)
			<-s.tr.gate.release
		}
		buf[n] = s.tr.sig(s.pos)
		n++
		s.pos++
	}
	if n == 0 {
		return 0, false
	}
	return n, true
}

func (s *fakeSource) Err() error { return s.err }

func (s *fakeSource) Seek(p int) error {
	if p < 0 || p > s.tr.length {
		return fmt.Errorf("seek %d out of range [0, %d]", p, s.tr.length)
	}
	s.pos = p
	return nil
}

func (s *fakeSource) Close() error {
	if s.closed {
		return errors.New("closed twice")
	}
	s.closed = true
	s.o.mu.Lock()
	s.o.closed++
	s.o.mu.Unlock()
	return nil
}

// sec converts seconds to a duration, for readable test timelines.
func sec(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }

// play runs tl through a Sequencer the way Render does (Prepare before
// every block), in blocks of the given size, and returns every sample and
// event.
func play(tb testing.TB, tl Timeline, o Opener, rate, block int) ([][2]float64, []Event) {
	tb.Helper()
	return playWith(tb, tl, Config{Rate: rate, Opener: o}, block, nil)
}

// playWith is play with a config and a hook run before each block; the hook
// returns false to skip that block's Prepare.
func playWith(tb testing.TB, tl Timeline, cfg Config, block int, before func(s *Sequencer) bool) ([][2]float64, []Event) {
	tb.Helper()
	ch := make(chan Event, 1024)
	cfg.Events = ch
	s, err := NewSequencer(tl, cfg)
	if err != nil {
		tb.Fatalf("NewSequencer: %v", err)
	}
	out := make([][2]float64, 0, s.Len())
	buf := make([][2]float64, block)
	for {
		if before == nil || before(s) {
			if err := s.Prepare(context.Background()); err != nil {
				tb.Fatalf("Prepare: %v", err)
			}
		}
		n, ok := s.Stream(buf)
		if !ok {
			break
		}
		out = append(out, buf[:n]...)
	}
	if err := s.Prepare(context.Background()); err != nil { // closes what finished last
		tb.Fatalf("final Prepare: %v", err)
	}
	if err := s.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
	if s.Dropped() > 0 {
		tb.Fatalf("%d events dropped", s.Dropped())
	}
	close(ch)
	var evs []Event
	for ev := range ch {
		evs = append(evs, ev)
	}
	if int64(len(out)) != s.Len() {
		tb.Fatalf("streamed %d samples, want Len() = %d", len(out), s.Len())
	}
	return out, evs
}

// firstNonZero returns the index of the first sample in out[from:] with a
// non-zero channel, or -1.
func firstNonZero(out [][2]float64, from int) int {
	for i := from; i < len(out); i++ {
		if out[i][0] != 0 || out[i][1] != 0 {
			return i
		}
	}
	return -1
}

func findEvent(evs []Event, k EventKind, item int) (Event, bool) {
	for _, ev := range evs {
		if ev.Kind == k && ev.Item == item {
			return ev, true
		}
	}
	return Event{}, false
}
