package timeline

// Stream's side of the slots: taking a ready item, mixing its ring, and the
// fades for failures, underruns and resumption.

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
	fin := sl.finished.Load() // before written: then every frame and err are visible
	w := sl.written.Load()
	t := a
	if sl.starved && !s.wake(sl, t, b, w, fin) {
		if sl.phase != phaseFinished {
			s.starve(sl, b)
		}
		return
	}
	n := w - sl.rd // frames buffered
	if fin && !sl.failSeen && sl.err != nil {
		s.noteFailure(sl, t, n)
	}
	if !fin && !sl.cutting && n < min(b-t+s.lowWater, sl.p.End-t) {
		// Prepare is behind: fade out everything still buffered.
		sl.cutting, sl.cutAt, sl.cutLen = true, t, n
		s.emit(sl, Underrun, t, ErrStalled)
	}
	stop := min(b, sl.base+w)
	if sl.cutting {
		stop = min(stop, sl.cutAt+sl.cutLen)
	}
	s.mixRing(sl, out[t-p:stop-p], t)
	t = stop
	if sl.failed != nil && !sl.failSent && t >= sl.cutAt {
		sl.failSent = true
		s.emit(sl, SourceFailed, sl.cutAt, sl.failed)
	}
	switch {
	case sl.cutting && t >= sl.cutAt+sl.cutLen:
		if sl.failed != nil {
			s.finish(sl)
			return
		}
		sl.cutting, sl.starved = false, true
		s.starve(sl, b)
	case t < b && fin: // ran dry before End, without an error
		s.emit(sl, EndedEarly, t, ErrEndedEarly)
		s.finish(sl)
	case t < b:
		// Unreachable: the underrun check keeps a block and LowWater
		// buffered. Go silent rather than read frames that are not there.
		sl.starved = true
		s.starve(sl, b)
	case b == sl.p.End:
		s.emit(sl, ItemEnded, b, nil)
		s.finish(sl)
	}
}

// mixRing mixes the next len(dst) frames of sl's ring, which sound from
// timeline sample t, into dst and hands their cells back to Prepare.
func (s *Sequencer) mixRing(sl *slot, dst [][2]float64, t int64) {
	size := int64(len(sl.ring))
	for len(dst) > 0 {
		r := sl.rd % size
		k := min(int64(len(dst)), size-r)
		sl.mix(dst[:k], sl.ring[r:r+k], t)
		dst = dst[k:]
		t += k
		sl.rd += k
	}
	sl.read.Store(sl.rd)
}

// starve keeps a slot that faded out for an underrun silent until timeline
// sample b, telling Prepare which frames it may drop, and ends it if b is
// its End.
func (s *Sequencer) starve(sl *slot, b int64) {
	sl.want.Store(b - sl.base)
	if b == sl.p.End {
		s.emit(sl, ItemEnded, b, nil)
		s.finish(sl)
	}
}

// wake decides what a starved slot does from timeline sample t: it resumes
// with a fade-in, on the frame the timeline has reached, when the ring has
// been refilled (a block and twice LowWater, or everything up to its End,
// or whatever a finished source left if that is at least LateFade), and
// the item has at least LateFade left. It ends the slot if its source
// failed or ran out meanwhile. It reports whether the slot sounds again.
func (s *Sequencer) wake(sl *slot, t, b, w int64, fin bool) bool {
	complete := sl.base+w >= sl.p.End // every frame up to End is decoded
	if fin && sl.err != nil && !complete {
		s.emit(sl, SourceFailed, t, sl.err)
		s.finish(sl)
		return false
	}
	need := t - sl.base
	avail, left := w-need, sl.p.End-t
	if left >= s.lateFade && (avail >= min(b-t+2*s.lowWater, left) || fin && avail >= s.lateFade) {
		sl.starved = false
		sl.rd = need
		sl.read.Store(need)
		sl.resAt, sl.resLen = t, s.lateFade
		return true
	}
	if fin && !complete {
		s.emit(sl, EndedEarly, t, ErrEndedEarly)
		s.finish(sl)
	}
	return false
}

// noteFailure schedules the failure fade of a source that failed after
// delivering n more frames from timeline sample t: the fade covers the last
// FailFade (or all, if less) of those frames and ends exactly where the
// audio breaks. A failure past the item's End changes nothing. If an
// underrun fade is already running, that fade ends the item.
func (s *Sequencer) noteFailure(sl *slot, t, n int64) {
	sl.failSeen = true
	brk := t + n
	if brk >= sl.p.End {
		return
	}
	sl.failed = sl.err
	if sl.cutting { // the underrun fade ends before brk
		sl.failSent = true
		s.emit(sl, SourceFailed, t, sl.err)
		return
	}
	l := min(s.failFade, n)
	sl.cutting, sl.cutAt, sl.cutLen = true, brk-l, l
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
