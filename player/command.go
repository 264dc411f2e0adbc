package player

import (
	"context"
	"fmt"
	"time"

	"attune/player/timeline"
)

// Op says what a Command does.
type Op uint8

// Commands. Every one that changes what is heard does it with a fade or a
// slew-limited ramp.
const (
	// OpLoad loads Timeline at position At (on the timeline's clock). When
	// playing, the current music fades out over the pause fade and the new
	// fades in; when paused or stopped the engine stays so.
	OpLoad Op = iota + 1
	// OpPlay starts (or resumes) the loaded timeline, fading in from silence.
	OpPlay
	// OpPause fades out over the pause fade and holds; the music's position
	// stops.
	OpPause
	// OpResume fades back in from where the pause left the music.
	OpResume
	// OpSkip moves to the start of the next item. While playing it is a
	// crossfade over the skip fade: the current music fades out (cos) while
	// the next item fades in (sin) from its first sample, both from the same
	// sample, at constant power; the music plays on at its level until the
	// next item is opened, and the next item's own fade-in is replaced by
	// the crossfade. A skip during a crossfade goes on to the item after
	// the one fading in, which turns around from where it is. A next item
	// that cannot be opened is passed over for the one after it; with none,
	// the music plays on. When the music reaches the next item's start
	// (within 100 ms) before the crossfade could begin, the skip is dropped
	// and the timeline's own transition brings the item. While paused or
	// stopped it switches silently and
	// resume fades in as usual; during a load, seek or stop transition it
	// retargets that transition.
	OpSkip
	// OpSeek moves to At within the current item (0 is the item's start):
	// fade out, seek, fade in, each over the pause fade.
	OpSeek
	// OpStop fades out over the pause fade and unloads the timeline.
	OpStop
	// OpSetVolume moves the master volume to DB at the slew limit.
	OpSetVolume
	// OpSetTrim moves sink Sink's trim to DB (≤ MaxTrimDB) at the slew limit.
	OpSetTrim
	// OpSetCeiling sets the peak ceiling to DB, never above the room's
	// configured ceiling; the output moves to the new limiter over
	// CeilingFade.
	OpSetCeiling
	// OpQuiet fades to silence (On) or back (!On) over the pause fade; the
	// music's position keeps running.
	OpQuiet
	// OpCrossfade loads Timeline at At and crossfades into it from what
	// plays now over Fade (0: the skip fade), equal-power, as a skip does:
	// the live session's "onset now", jumps and skips, whose new plans
	// are other timelines. Paused or stopped, it loads like OpLoad.
	OpCrossfade
	// OpReplace swaps to Timeline, positioned at At, on exactly the sample
	// where the music reaches At, without a fade: what Timeline plays from
	// At must be what the current timeline plays there (the live session
	// re-planning the future while the sounding item plays on). At must be
	// at least ReplaceLead ahead; when the new timeline is not ready in
	// time the swap moves on by another ReplaceLead. While a transition or
	// crossfade is under way, or while paused, it loads like OpLoad.
	OpReplace
)

// ReplaceLead is how far ahead of the music an OpReplace's swap must be:
// time to open the new timeline's sounding item.
const ReplaceLead = time.Second

var opNames = [...]string{"", "load", "play", "pause", "resume", "skip", "seek", "stop", "set_volume", "set_trim", "set_ceiling", "quiet", "crossfade", "replace"}

func (o Op) String() string {
	if int(o) < len(opNames) && o != 0 {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", o)
}

// Command is one control of the engine; the fields an Op does not use are
// ignored.
type Command struct {
	Op       Op
	Timeline timeline.Timeline // OpLoad
	At       time.Duration     // OpLoad, OpCrossfade, OpReplace: timeline position; OpSeek: position in the item
	Fade     time.Duration     // OpCrossfade
	DB       float64           // OpSetVolume, OpSetTrim, OpSetCeiling
	Sink     string            // OpSetTrim
	On       bool              // OpQuiet
}

type request struct {
	cmd   Command
	reply chan error
}

// Do sends c to the running engine and waits until it is applied (a fade it
// starts has begun, not finished). It returns the command's error, ErrClosed
// once Run has returned, or ctx's error (a command sent before Run starts
// waits for it).
func (e *Engine) Do(ctx context.Context, c Command) error {
	rq := request{cmd: c, reply: make(chan error, 1)}
	select {
	case e.cmds <- rq:
	case <-e.done:
		return fmt.Errorf("player: %s: %w", c.Op, ErrClosed)
	case <-ctx.Done():
		return fmt.Errorf("player: %s: %w", c.Op, ctx.Err())
	}
	select {
	case err := <-rq.reply:
		return err
	case <-ctx.Done():
		return fmt.Errorf("player: %s: %w", c.Op, ctx.Err())
	}
}

// Load loads tl at timeline position at; see OpLoad.
func (e *Engine) Load(ctx context.Context, tl timeline.Timeline, at time.Duration) error {
	return e.Do(ctx, Command{Op: OpLoad, Timeline: tl, At: at})
}

// Play starts the loaded timeline; see OpPlay.
func (e *Engine) Play(ctx context.Context) error { return e.Do(ctx, Command{Op: OpPlay}) }

// Pause fades out and holds; see OpPause.
func (e *Engine) Pause(ctx context.Context) error { return e.Do(ctx, Command{Op: OpPause}) }

// Resume fades back in; see OpResume.
func (e *Engine) Resume(ctx context.Context) error { return e.Do(ctx, Command{Op: OpResume}) }

// Skip moves to the next item; see OpSkip.
func (e *Engine) Skip(ctx context.Context) error { return e.Do(ctx, Command{Op: OpSkip}) }

// Seek moves within the current item; see OpSeek.
func (e *Engine) Seek(ctx context.Context, inItem time.Duration) error {
	return e.Do(ctx, Command{Op: OpSeek, At: inItem})
}

// Stop fades out and unloads; see OpStop.
func (e *Engine) Stop(ctx context.Context) error { return e.Do(ctx, Command{Op: OpStop}) }

// SetVolume sets the master volume; see OpSetVolume.
func (e *Engine) SetVolume(ctx context.Context, db float64) error {
	return e.Do(ctx, Command{Op: OpSetVolume, DB: db})
}

// SetTrim sets a sink's trim; see OpSetTrim.
func (e *Engine) SetTrim(ctx context.Context, sink string, db float64) error {
	return e.Do(ctx, Command{Op: OpSetTrim, Sink: sink, DB: db})
}

// SetCeiling sets the peak ceiling; see OpSetCeiling.
func (e *Engine) SetCeiling(ctx context.Context, db float64) error {
	return e.Do(ctx, Command{Op: OpSetCeiling, DB: db})
}

// Quiet fades to silence or back; see OpQuiet.
func (e *Engine) Quiet(ctx context.Context, on bool) error {
	return e.Do(ctx, Command{Op: OpQuiet, On: on})
}

// apply carries out c on the engine goroutine.
func (e *Engine) apply(c Command) error {
	switch c.Op {
	case OpLoad:
		return e.load(c.Timeline, c.At)
	case OpPlay, OpResume:
		if e.cur == nil && (e.pend == nil || e.pend.next == nil) {
			return fmt.Errorf("player: %s: %w", c.Op, ErrNotLoaded)
		}
		e.state = StatePlaying
		if e.pend != nil {
			return nil // the transition fades in when it is done
		}
		e.env.FadeTo(e.level(), e.fadePause) // sets the gain Resume returns to
		e.env.Resume(e.fadePause)
	case OpPause:
		if e.state != StatePlaying {
			return nil
		}
		e.state = StatePaused
		e.pauseEnvelope(e.fadePause)
	case OpSkip:
		return e.skip()
	case OpCrossfade:
		return e.crossfadeLoad(c.Timeline, c.At, c.Fade)
	case OpReplace:
		return e.replace(c.Timeline, c.At)
	case OpSeek:
		return e.seek(c.At)
	case OpStop:
		if e.cur == nil && e.pend == nil {
			return nil
		}
		e.state = StateStopped
		e.startTransition(nil, e.fadePause)
	case OpSetVolume:
		e.master.SetTarget(c.DB)
	case OpSetTrim:
		if !(c.DB <= MaxTrimDB) {
			return fmt.Errorf("player: trim %v dB for sink %q: must be at most %v dB", c.DB, c.Sink, MaxTrimDB)
		}
		for _, r := range e.runners {
			if r.name == c.Sink {
				r.trim.SetTarget(c.DB)
				return nil
			}
		}
		return fmt.Errorf("player: set trim of %q: %w", c.Sink, ErrUnknownSink)
	case OpSetCeiling:
		if !(c.DB <= e.cfg.CeilingDB) {
			return fmt.Errorf("player: ceiling %v dBFS: above the room's ceiling of %v dBFS", c.DB, e.cfg.CeilingDB)
		}
		if err := e.limit.setCeiling(c.DB); err != nil {
			return fmt.Errorf("player: ceiling %v dBFS: %w", c.DB, err)
		}
	case OpQuiet:
		e.quiet = c.On
		e.env.FadeTo(e.level(), e.fadePause)
	default:
		return fmt.Errorf("player: unknown command %d", c.Op)
	}
	return nil
}

// level is the envelope's gain when sounding: 0 while quiet.
func (e *Engine) level() float64 {
	if e.quiet {
		return 0
	}
	return 1
}

// load places tl at position at and switches to it through a transition.
func (e *Engine) load(tl timeline.Timeline, at time.Duration) error {
	if err := tl.Validate(); err != nil {
		return fmt.Errorf("player: load: %w", err)
	}
	if at < 0 {
		return fmt.Errorf("player: load at %s: negative position", at)
	}
	l, err := e.newLoaded(tl, at, false)
	if err != nil {
		return fmt.Errorf("player: load at %s: %w", at, err)
	}
	e.startTransition(l, e.fadePause)
	return nil
}

// skip moves to the start of the first item that starts after the position
// of the target (see OpSkip).
func (e *Engine) skip() error {
	l := e.target()
	if l == nil {
		return fmt.Errorf("player: skip: %w", ErrNotLoaded)
	}
	pos := e.toDur(e.targetPos())
	for _, it := range l.tl.Items {
		if it.Start > pos {
			nl, err := e.newLoaded(l.tl, it.Start, true)
			if err != nil {
				return fmt.Errorf("player: skip to %s: %w", it.Start, err)
			}
			switch {
			case e.pend != nil:
				e.startTransition(nl, e.pend.fadeIn)
			case e.state != StatePlaying:
				e.startTransition(nl, e.fadePause)
			default:
				e.crossfadeTo(nl)
			}
			return nil
		}
	}
	return fmt.Errorf("player: skip from %s: %w", pos, ErrNoNextItem)
}

// seek moves to inItem within the item sounding now (the later one during a
// crossfade).
func (e *Engine) seek(inItem time.Duration) error {
	l := e.target()
	if l == nil {
		return fmt.Errorf("player: seek: %w", ErrNotLoaded)
	}
	pos := e.toDur(e.targetPos())
	for i := len(l.tl.Items) - 1; i >= 0; i-- {
		it := l.tl.Items[i]
		if it.Start > pos {
			continue
		}
		if it.End <= pos {
			break
		}
		if inItem < 0 || inItem >= it.End-it.Start {
			return fmt.Errorf("player: seek to %s in item %d (%s long): outside the item", inItem, i+1, it.End-it.Start)
		}
		nl, err := e.newLoaded(l.tl, it.Start+inItem, false)
		if err != nil {
			return fmt.Errorf("player: seek to %s in item %d: %w", inItem, i+1, err)
		}
		e.startTransition(nl, e.fadePause)
		return nil
	}
	return fmt.Errorf("player: seek at %s: %w", pos, ErrNoItem)
}

// target is the timeline that will be playing once any transition or
// pending skip is done.
func (e *Engine) target() *loaded {
	switch {
	case e.pend != nil:
		return e.pend.next
	case e.xf != nil:
		return e.xf
	case e.cur != nil:
		return e.cur.l
	}
	return nil
}

// targetPos is the timeline sample the target timeline is at (or will start
// from).
func (e *Engine) targetPos() int64 {
	if l := e.target(); l != nil && (e.cur == nil || l != e.cur.l) {
		return l.base
	}
	return e.timelinePos()
}
