package room

import (
	"context"
	"errors"
	"time"

	"attune/player"
)

// loop keeps the room's state: it follows the engine's events and the
// session runner's changes, polls the streams' listeners every second, and
// publishes each new state, until ctx ends or the runner stops (its error
// is put back on runDone for Run).
func (r *Room) loop(ctx context.Context, runDone chan error) {
	defer close(r.loopDone)
	ls := loopState{engine: r.eng.State(), outs: r.initialOutputs(), volume: r.cfg.VolumeDB}
	publish := func() {
		st := r.build(ls, r.cfg.Now())
		if sameState(r.state.Load(), &st) {
			return
		}
		r.state.Store(&st)
		poke(r.notify)
	}
	refresh := func() {
		rec, plan, ok, err := r.runner.Snapshot(ctx)
		switch {
		case err != nil:
			return // ctx ended or the runner stopped: nothing changes any more
		case ok:
			ls.sess, ls.volume = r.snapSession(rec, plan), rec.VolumeDB
		default:
			ls.sess = nil
		}
	}
	publish() // what the setters changed before Run
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-runDone:
			runDone <- err
			return
		case ev := <-r.events:
			if r.cfg.OnEvent != nil {
				r.cfg.OnEvent(ev)
			}
			if r.onEvent(ctx, &ls, ev) {
				publish()
			}
		case <-r.sessionPoke:
			refresh()
			publish()
		case reply := <-r.syncReq:
			refresh()
			publish()
			close(reply)
		case <-tick.C:
			ls.engine = r.eng.State() // in case the events channel dropped a state change
			for i, o := range r.outs {
				if o.stream != nil {
					ls.outs[i].Listeners = o.stream.Listeners()
				}
			}
			publish()
		}
	}
}

// onEvent follows an engine event, and reports whether the state may have
// changed. Items that start or fail go into the session's log.
func (r *Room) onEvent(ctx context.Context, ls *loopState, ev player.Event) bool {
	switch ev.Kind {
	case player.EventState:
		ls.engine = ev.State
	case player.EventItemStarted, player.EventItemFailed:
		if err := r.runner.Observe(ctx, ev); err != nil && ctx.Err() == nil {
			r.cfg.Log.Error("log what the engine played", "room", r.cfg.Name, "err", err)
		}
	case player.EventUnderrun:
		ls.underruns++
	case player.EventSinkError, player.EventSinkRecovered, player.EventSinkUnderrun:
		i := r.outputIndex(ev.Sink)
		if i < 0 {
			return false
		}
		o := &ls.outs[i]
		switch ev.Kind {
		case player.EventSinkError:
			o.Status, o.Err = StatusDown, ev.Err.Error()
		case player.EventSinkRecovered:
			o.Status, o.Err = StatusOK, ""
		default:
			var u *player.SinkUnderruns
			if errors.As(ev.Err, &u) {
				o.Underruns = u.Total
			}
		}
	default:
		return false
	}
	return true
}

// notifier calls OnChange with the newest state after each publication,
// until ctx ends. It does not wait between calls: the server's pushes must
// follow a command within milliseconds. Publications made while OnChange
// runs coalesce into one call (notify holds one poke).
func (r *Room) notifier(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.notify:
		}
		if r.cfg.OnChange != nil {
			r.cfg.OnChange(r.State())
		}
	}
}
