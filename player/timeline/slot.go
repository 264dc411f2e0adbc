package timeline

import (
	"fmt"
	"sync/atomic"
)

// phase is Stream's private view of a slot.
type phase uint8

const (
	phaseWaiting phase = iota
	phasePlaying
	phaseFinished
)

// slot is one item at run time: its placement, its source and the ring of
// audio decoded ahead of what is heard.
//
// The ring is single-producer single-consumer. Frames are numbered from 0
// (the item's first frame, at its offset in the track); frame i lives at
// ring[i%len(ring)] and sounds at timeline sample base+i. Prepare's
// goroutine decodes into the ring and publishes how many frames exist
// (written); Stream reads them and publishes how many it has used (read),
// and, while it is starved, the first frame it could still use (want).
// Frames below max(read, want) are dead, so the producer may overwrite
// their cells, and decodes and drops frames below want to catch up. The
// producer stores written after writing the frames and stores finished
// after written and err, so a consumer that loads finished, then written,
// sees every frame and the reason.
type slot struct {
	p     Placement
	state atomic.Int32

	// Shared through the atomics only.
	written  atomic.Int64 // frames decoded (producer)
	read     atomic.Int64 // frames used (consumer)
	want     atomic.Int64 // first frame a starved consumer can still use
	finished atomic.Bool  // the source gives no more frames: eof, or err

	// Prepare's own while the slot is open; the ring's cells are shared as
	// described above; err is read by Stream once it has seen finished.
	src   Source
	ring  [][2]float64
	wr    int64 // Prepare's copy of written
	limit int64 // frames the item can use: its length
	err   error // why the source stopped, if it failed

	// Stream's own.
	phase    phase
	underran bool  // reported not ready at its start
	base     int64 // timeline sample of frame 0: p.Start, or later if it started late
	rd       int64 // Stream's copy of read
	start    int64 // fade-in: planned, or longer if the item started late
	inLen    int64
	inCurve  Curve
	resAt    int64 // fade-in after a mid-item underrun
	resLen   int64
	cutting  bool  // a fade to silence is set: failure or underrun
	cutAt    int64 // timeline sample where that fade begins
	cutLen   int64
	failed   error // the source failed: finish when the cut ends
	failSeen bool  // a failure has been looked at
	failSent bool  // SourceFailed has been emitted
	starved  bool  // faded out for an underrun: silent until refilled
}

// open readies the slot for Prepare's filling with a fresh source.
func (sl *slot) open(src Source, ring [][2]float64) {
	sl.src, sl.ring = src, ring
	sl.wr, sl.limit, sl.err = 0, sl.p.Len(), nil
	sl.written.Store(0)
	sl.read.Store(0)
	sl.want.Store(0)
	sl.finished.Store(false)
}

// begin sets up the envelope for playback starting at timeline sample a.
// An item that starts late plays from its offset all the same (the start
// of what was chosen, not a jump into the middle of a phrase), cut at its
// planned End, and fades in over at least lateFade so it never starts with
// a step.
func (sl *slot) begin(a, lateFade int64) {
	sl.base, sl.start, sl.rd = a, a, 0
	sl.inLen, sl.inCurve = sl.p.FadeIn, sl.p.FadeInCurve
	if a > sl.p.Start {
		sl.inLen, sl.inCurve = min(max(sl.p.FadeIn, lateFade), sl.p.End-a), CurveSCurve
	}
}

// fill tops up the ring (Prepare's side): it decodes until the ring is
// full, the item needs no more, or the source stops, dropping the frames a
// starved Stream has gone past. When it returns the ring holds upto frames
// (capped at the ring's size and the item's length) or the source has
// finished. scratch receives dropped frames.
func (sl *slot) fill(upto int64, scratch [][2]float64) {
	if sl.finished.Load() {
		return
	}
	size := int64(len(sl.ring))
	for sl.wr < min(upto, sl.limit) {
		floor := max(sl.read.Load(), sl.want.Load())
		var dst [][2]float64
		if sl.wr < floor { // Stream skipped these while starved
			dst = scratch[:min(floor-sl.wr, int64(len(scratch)), sl.limit-sl.wr)]
		} else {
			w := sl.wr % size
			k := min(floor+size-sl.wr, size-w, upto-sl.wr, sl.limit-sl.wr)
			if k <= 0 {
				return // full
			}
			dst = sl.ring[w : w+k]
		}
		got, ok, err := pull(sl.src, dst)
		if err == nil && (got < 0 || got > len(dst)) {
			err = fmt.Errorf("%w: returned %d samples for a buffer of %d", ErrNoProgress, got, len(dst))
		}
		if err != nil {
			sl.stop(err)
			return
		}
		sl.wr += int64(got)
		sl.written.Store(sl.wr)
		if got == 0 || !ok {
			if err := sl.src.Err(); err != nil {
				sl.stop(err)
			} else if ok {
				sl.stop(ErrNoProgress)
			} else {
				sl.stop(nil) // drained
			}
			return
		}
		// A short read with ok means drained (beep's contract); the next
		// call returns 0, false and lands above.
	}
	if sl.wr >= sl.limit {
		sl.stop(nil) // the item needs no more
	}
}

// stop publishes that the source gives no more frames, and why.
func (sl *slot) stop(err error) {
	sl.err = err
	sl.finished.Store(true)
}

// pull calls src.Stream, turning a decoder panic into an error: a bad file
// must not take the engine down.
func pull(src Source, buf [][2]float64) (n int, ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			n, ok, err = 0, false, fmt.Errorf("%w: %v", ErrPanic, r)
		}
	}()
	n, ok = src.Stream(buf)
	return n, ok, nil
}

// mix adds src, which starts at timeline sample t, into dst with the item's
// gain and envelope.
func (sl *slot) mix(dst, src [][2]float64, t int64) {
	k := int64(len(src))
	if !sl.cutting && t >= sl.start+sl.inLen && t >= sl.resAt+sl.resLen && t+k <= sl.p.End-sl.p.FadeOut {
		g := sl.p.Gain // steady state: one multiply per sample
		for i, v := range src {
			dst[i][0] += v[0] * g
			dst[i][1] += v[1] * g
		}
		return
	}
	for i, v := range src {
		g := sl.gainAt(t + int64(i))
		dst[i][0] += v[0] * g
		dst[i][1] += v[1] * g
	}
}

// gainAt is the item's gain at timeline sample t: track gain times the
// fade-in, the fade-out, the fade-in after an underrun and the fade to
// silence (failure or underrun). Each fade of N samples is sampled at the
// midpoints (d+½)/N, so a crossfade's two halves are taken at the same
// points and sum to exactly unit power.
func (sl *slot) gainAt(t int64) float64 {
	g := sl.p.Gain
	if d := t - sl.start; d < sl.inLen {
		g *= sl.inCurve.fadeIn((float64(d) + 0.5) / float64(sl.inLen))
	}
	if d := t - (sl.p.End - sl.p.FadeOut); d >= 0 && sl.p.FadeOut > 0 {
		g *= sl.p.FadeOutCurve.fadeOut((float64(d) + 0.5) / float64(sl.p.FadeOut))
	}
	if d := t - sl.resAt; d >= 0 && d < sl.resLen {
		g *= CurveSCurve.fadeIn((float64(d) + 0.5) / float64(sl.resLen))
	}
	if sl.cutting {
		if d := t - sl.cutAt; d >= sl.cutLen {
			return 0
		} else if d >= 0 {
			g *= CurveSCurve.fadeOut((float64(d) + 0.5) / float64(sl.cutLen))
		}
	}
	return g
}
