package session

import (
	"context"
	"fmt"
	"time"

	"attune/player"
)

// Commands returns the engine commands that carry out a.
func (a Action) Commands() ([]player.Command, error) {
	switch a.Op {
	case OpLoad:
		return []player.Command{{Op: player.OpLoad, Timeline: a.Timeline, At: a.At}}, nil
	case OpCrossfade:
		// A session crossfades only while it is not paused, and the
		// engine may be stopped then (no arrival music before the dose, or
		// a plan that ran out): a crossfade into a stopped engine only
		// loads, so play follows it. While the engine plays, OpPlay changes
		// nothing.
		return []player.Command{
			{Op: player.OpCrossfade, Timeline: a.Timeline, At: a.At, Fade: a.Fade},
			{Op: player.OpPlay},
		}, nil
	case OpReplace:
		return []player.Command{{Op: player.OpReplace, Timeline: a.Timeline, At: a.At}}, nil
	case OpPlay:
		return []player.Command{{Op: player.OpPlay}}, nil
	case OpPause:
		return []player.Command{{Op: player.OpPause}}, nil
	case OpResume:
		return []player.Command{{Op: player.OpResume}}, nil
	case OpQuiet:
		return []player.Command{{Op: player.OpQuiet, On: a.On}}, nil
	case OpVolume:
		return []player.Command{{Op: player.OpSetVolume, DB: a.DB}}, nil
	case OpStop:
		return []player.Command{{Op: player.OpStop}}, nil
	}
	return nil, fmt.Errorf("session: unknown action %d", a.Op)
}

// commander is what PlayerEngine needs of the engine: player.Engine's Do.
type commander interface {
	Do(ctx context.Context, c player.Command) error
}

// PlayerEngine carries out a session's actions on a live player.Engine.
type PlayerEngine struct {
	Engine commander
}

// Act implements Engine.
func (p PlayerEngine) Act(ctx context.Context, a Action) error {
	cmds, err := a.Commands()
	if err != nil {
		return err
	}
	for _, c := range cmds {
		if err := p.Engine.Do(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// Cues turns a rehearsal's actions into the cues of an offline render that
// starts at drug-clock time from.
func Cues(timed []Timed, from time.Duration) ([]player.Cue, error) {
	var cues []player.Cue
	for _, t := range timed {
		cmds, err := t.Commands()
		if err != nil {
			return nil, err
		}
		for _, c := range cmds {
			cues = append(cues, player.Cue{At: max(t.At-from, 0), Cmd: c})
		}
	}
	return cues, nil
}
