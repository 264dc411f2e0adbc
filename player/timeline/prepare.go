package timeline

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// discardBlock is the size of the buffer Prepare decodes skipped frames into.
const discardBlock = 4096

// Prepare opens the items that start within the preroll of the current
// position (seeking each to its offset and decoding ahead, so Stream finds
// it ready), tops up the read-ahead ring of every open item to ReadAhead,
// and closes the sources of items that have finished. All decoding happens
// here. Call it from one non-real-time goroutine, often: every 100–200 ms
// live, before every block offline. It returns early, with ctx's error, if
// ctx is done (Render relies on this to stop). A decoder that blocks holds
// Prepare up; Stream then fades the item out (see Sequencer).
//
// An item that is still unopened when its start sample comes is an
// underrun: it starts late, as soon as a later Prepare has opened it (see
// Underrun). Failures are reported as events, not returned.
func (s *Sequencer) Prepare(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("timeline: prepare: %w", err)
	}
	pos := s.published.Load()
	horizon := pos + s.preroll
	for i := s.prepFirst; i < len(s.slots) && s.slots[i].p.Start <= horizon; i++ {
		sl := &s.slots[i]
		switch sl.state.Load() {
		case statePending:
			if sl.p.End <= pos {
				sl.state.CompareAndSwap(statePending, stateMissed)
				continue
			}
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("timeline: prepare: %w", err)
			}
			s.open(ctx, sl)
		case stateReady:
			if sl.p.End <= pos && sl.state.CompareAndSwap(stateReady, stateDone) {
				s.release(sl)
				continue
			}
			sl.fill(math.MaxInt64, s.discardBuf())
		case statePlaying:
			sl.fill(math.MaxInt64, s.discardBuf())
		case stateDone:
			s.release(sl)
		}
	}
	for s.prepFirst < len(s.slots) && final(s.slots[s.prepFirst].state.Load()) {
		s.prepFirst++
	}
	return nil
}

func final(state int32) bool {
	return state == stateClosed || state == stateMissed || state == stateFailed
}

// discardBuf returns the buffer skipped frames are decoded into.
func (s *Sequencer) discardBuf() [][2]float64 {
	if s.scratch == nil {
		s.scratch = make([][2]float64, discardBlock)
	}
	return s.scratch
}

// open opens, seeks and pre-rolls one pending slot: a source that fails
// within its first prerollCheck is OpenFailed; then the ring is filled.
func (s *Sequencer) open(ctx context.Context, sl *slot) {
	if !sl.state.CompareAndSwap(statePending, stateOpening) {
		return // Stream gave up on it
	}
	src, err := s.openSource(ctx, sl.p)
	if err != nil {
		sl.state.Store(stateFailed)
		s.emit(sl, OpenFailed, sl.p.Start, err)
		return
	}
	sl.open(src, s.ring())
	sl.fill(s.preFill, s.discardBuf())
	if sl.err != nil {
		err := fmt.Errorf("pre-roll: %w", sl.err)
		s.release(sl)
		sl.state.Store(stateFailed)
		s.emit(sl, OpenFailed, sl.p.Start, err)
		return
	}
	sl.state.Store(stateReady)
	sl.fill(math.MaxInt64, s.discardBuf()) // a failure from here on fades out in Stream
}

// openSource opens and seeks p's track, recovering from a decoder panic.
func (s *Sequencer) openSource(ctx context.Context, p Placement) (src Source, err error) {
	defer func() {
		if r := recover(); r != nil {
			if src != nil {
				_ = src.Close() // already failing; the panic is the error to report
			}
			src, err = nil, fmt.Errorf("open %q: %w: %v", p.Item.Track, ErrPanic, r)
		}
	}()
	src, err = s.opener.Open(ctx, p.Item, s.rate)
	if err != nil {
		return nil, fmt.Errorf("open %q: %w", p.Item.Track, err)
	}
	if src == nil {
		return nil, fmt.Errorf("open %q: opener returned no source", p.Item.Track)
	}
	if p.Offset > 0 {
		if err := src.Seek(int(p.Offset)); err != nil {
			_ = src.Close() // the seek error is the one to report
			return nil, fmt.Errorf("seek %q to sample %d: %w", p.Item.Track, p.Offset, err)
		}
	}
	return src, nil
}

// ring returns an empty read-ahead buffer, reusing a released one.
func (s *Sequencer) ring() [][2]float64 {
	if n := len(s.free); n > 0 {
		r := s.free[n-1]
		s.free = s.free[:n-1]
		return r
	}
	return make([][2]float64, s.ahead)
}

// release closes a slot's source and keeps its ring for reuse.
func (s *Sequencer) release(sl *slot) {
	if sl.src != nil {
		_ = sl.src.Close() // read-only source; nothing useful to do with the error
		sl.src = nil
	}
	if sl.ring != nil {
		s.free = append(s.free, sl.ring)
		sl.ring = nil
	}
	if sl.state.Load() == stateDone {
		sl.state.Store(stateClosed)
	}
}

// Close closes every source still open. Call it once Stream and Prepare
// are no longer running.
func (s *Sequencer) Close() error {
	var errs []error
	for i := range s.slots {
		sl := &s.slots[i]
		if sl.src != nil {
			if err := sl.src.Close(); err != nil {
				errs = append(errs, fmt.Errorf("timeline: close %q: %w", sl.p.Item.Track, err))
			}
			sl.src = nil
		}
		sl.state.Store(stateClosed)
	}
	return errors.Join(errs...)
}
