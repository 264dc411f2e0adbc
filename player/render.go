package player

import (
	"context"
	"errors"
	"fmt"
	"time"

	"attune/player/timeline"
)

// Cue is a command that Render applies at output time At.
type Cue struct {
	At  time.Duration // from the start of the render
	Cmd Command
}

// Render runs the engine's graph offline at full CPU speed instead of Run:
// it applies each cue on the first block that starts at or after its At
// (cues in order of At), and writes every block, through each sink's trim,
// straight to every configured sink on the calling goroutine. It renders
// length of output, or, when length is 0, until the last cue is applied and
// the timeline has ended (or been stopped) and faded out. Item preparation
// runs before each block, so nothing underruns.
//
// A command's error or a sink's error ends the render and is returned; so is
// ctx's. The sinks are closed when Render returns.
func (e *Engine) Render(ctx context.Context, length time.Duration, cues []Cue) (err error) {
	if !e.started.CompareAndSwap(false, true) {
		return errors.New("player: engine already ran")
	}
	defer close(e.done)
	prep := &syncPreparer{ctx: ctx}
	e.prep = prep
	defer func() {
		prep.closeAll()
		for _, r := range e.runners {
			if r.sink != nil {
				err = errors.Join(err, r.sink.Close())
			}
		}
	}()
	for _, r := range e.runners {
		if r.sink == nil {
			s, err := r.reopen(ctx)
			if err != nil {
				return fmt.Errorf("player: render: open sink %q: %w", r.name, err)
			}
			r.sink = s
		}
	}
	end := timeline.Samples(length, e.cfg.Rate)
	blk := make([][2]float64, e.cfg.Block)
	var done int64
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("player: render stopped at %s: %w", e.toDur(done), err)
		}
		for len(cues) > 0 && timeline.Samples(cues[0].At, e.cfg.Rate) <= done {
			if err := e.apply(cues[0].Cmd); err != nil {
				return fmt.Errorf("player: render: cue at %s: %w", cues[0].At, err)
			}
			e.advance()
			e.reportState()
			cues = cues[1:]
		}
		if end > 0 && done >= end {
			return nil
		}
		if end == 0 && len(cues) == 0 && e.cur == nil && e.pend == nil && e.silentOut() {
			return nil
		}
		prep.tick()
		e.render()
		for _, r := range e.runners {
			r.fill(blk, e.mix)
			if err := r.sink.Write(blk); err != nil {
				return fmt.Errorf("player: render: write to sink %q: %w", r.name, err)
			}
		}
		done += int64(len(blk))
	}
}
