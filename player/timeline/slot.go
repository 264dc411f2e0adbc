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
// The source is read ahead by Sequencer.ahead frames (FailFade plus a
// margin) so that when it fails there is still a second of good audio to
// fade out. The fade reaches zero at most the margin before the point where
// the source broke; the audio left over is dropped.
type slot struct {
	p     Placement
	state atomic.Int32

	// Written by Prepare while opening; owned by Stream while playing.
	src  Source
	ring [][2]float64 // decoded audio, read at r, n frames long
	r, n int
	left int64 // track frames still wanted from the source
	eof  bool  // the source will give no more frames
	err  error // why, if it failed

	// Stream's own.
	phase    phase
	underran bool
	start    int64 // timeline sample where playback began (p.Start unless late)
	inLen    int64 // fade-in from start
	inCurve  Curve
	failing  bool
	failAt   int64 // timeline sample where the failure fade begins
	failLen  int64
}

// begin sets up the envelope for playback starting at timeline sample a.
// An item that starts late plays from its offset all the same (the start
// of what was chosen, not a jump into the middle of a phrase), cut at its
// planned End, and fades in over at least lateFade so it never starts with
// a step.
func (sl *slot) begin(a, lateFade int64) {
	sl.start = a
	sl.inLen, sl.inCurve = sl.p.FadeIn, sl.p.FadeInCurve
	if a > sl.p.Start {
		sl.inLen, sl.inCurve = min(max(sl.p.FadeIn, lateFade), sl.p.End-a), CurveSCurve
	}
}

// fill reads the source into the ring until the ring is full, the item
// needs no more, or the source stops. It always makes progress: afterwards
// the ring holds audio or eof is set.
func (sl *slot) fill() {
	size := len(sl.ring)
	for !sl.eof && sl.n < size {
		if sl.left <= 0 {
			sl.eof = true
			return
		}
		w := (sl.r + sl.n) % size
		k := min(size-sl.n, size-w)
		if int64(k) > sl.left {
			k = int(sl.left)
		}
		got, ok, err := pull(sl.src, sl.ring[w:w+k])
		if err == nil && (got < 0 || got > k) {
			err = fmt.Errorf("%w: returned %d samples for a buffer of %d", ErrNoProgress, got, k)
		}
		if err != nil {
			sl.eof, sl.err = true, err
			return
		}
		sl.n += got
		sl.left -= int64(got)
		if got == 0 || !ok {
			if err := sl.src.Err(); err != nil {
				sl.eof, sl.err = true, err
			} else if ok {
				sl.eof, sl.err = true, ErrNoProgress
			} else {
				sl.eof = true // drained
			}
		}
		// A short read with ok means drained (beep's contract); the next
		// call returns 0, false and lands above.
	}
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
	if !sl.failing && t >= sl.start+sl.inLen && t+k <= sl.p.End-sl.p.FadeOut {
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
// fade-in, the fade-out and the failure fade. Each fade of N samples is
// sampled at the midpoints (d+½)/N, so a crossfade's two halves are taken
// at the same points and sum to exactly unit power.
func (sl *slot) gainAt(t int64) float64 {
	g := sl.p.Gain
	if d := t - sl.start; d < sl.inLen {
		g *= sl.inCurve.fadeIn((float64(d) + 0.5) / float64(sl.inLen))
	}
	if d := t - (sl.p.End - sl.p.FadeOut); d >= 0 && sl.p.FadeOut > 0 {
		g *= sl.p.FadeOutCurve.fadeOut((float64(d) + 0.5) / float64(sl.p.FadeOut))
	}
	if sl.failing {
		if d := t - sl.failAt; d >= sl.failLen {
			return 0
		} else if d >= 0 {
			g *= CurveSCurve.fadeOut((float64(d) + 0.5) / float64(sl.failLen))
		}
	}
	return g
}
