package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"attune/player"
	"attune/playlists"
)

// Engine carries out a session's actions on the room's engine.
type Engine interface {
	Act(ctx context.Context, a Action) error
}

// Store persists sessions; player/session/store implements it.
type Store interface {
	Create(ctx context.Context, r Record, first Entry) (int64, error)
	Save(ctx context.Context, r Record, e Entry) error
	Live(ctx context.Context) ([]Record, error)
	// Log appends e to session id's log without changing its record.
	Log(ctx context.Context, id int64, e Entry) error
}

// ErrNoSession is returned for commands while the room has no session.
var ErrNoSession = errors.New("the room has no session")

// ErrBusy is returned when a session is started in a room that has one.
var ErrBusy = errors.New("the room already has a session")

// TrackLoader returns the facts of the tracks of playlist pl, for the
// planner. The runner calls it when a session starts and when it recovers
// one, so one runner serves sessions of any playlist.
type TrackLoader func(ctx context.Context, pl playlists.Playlist) (playlists.Tracks, error)

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	Room   string
	Engine Engine
	Store  Store
	Tracks TrackLoader
	Limits Limits
	Volume float64 // the room's starting master volume, dB
	// Now is the wall clock; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
	// OnChange, if set, is called on the runner's goroutine after anything
	// changed the session's record or plan: a start, every applied
	// command, a recovery, the tick that ends a session, an observed item.
	// It must not block: it holds up every command of the room.
	OnChange func()
}

// Runner runs one room's sessions: its goroutine (Run) owns the session's
// Core; every command is stored before it is carried out and acknowledged,
// so a crash loses nothing that was acknowledged.
type Runner struct {
	cfg  RunnerConfig
	reqs chan func(ctx context.Context)
	done chan struct{}

	// limMu protects lim, which SetLimits changes from any goroutine and
	// Run's goroutine hands to the session before each command.
	limMu sync.Mutex
	lim   Limits

	core   *Core            // owned by Run's goroutine
	tracks playlists.Tracks // core's playlist's tracks, owned by Run's goroutine
}

// NewRunner returns a runner for cfg.Room; call Run.
func NewRunner(cfg RunnerConfig) *Runner {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Runner{cfg: cfg, reqs: make(chan func(context.Context)), done: make(chan struct{}), lim: cfg.Limits}
}

// SetLimits changes the room's limits (the patient's volume range, the
// skip fade) from the next command on. Safe from any goroutine; it never
// waits for the runner.
func (r *Runner) SetLimits(l Limits) {
	r.limMu.Lock()
	r.lim = l
	r.limMu.Unlock()
}

func (r *Runner) limits() Limits {
	r.limMu.Lock()
	defer r.limMu.Unlock()
	return r.lim
}

// changed tells OnChange.
func (r *Runner) changed() {
	if r.cfg.OnChange != nil {
		r.cfg.OnChange()
	}
}

// Run recovers the room's live session, if the store has one, then serves
// commands and ends the session when observation is over, until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	defer close(r.done)
	if err := r.recover(ctx); err != nil {
		return err
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case f := <-r.reqs:
			f(ctx)
		case <-tick.C:
			r.tick(ctx)
		}
	}
}

// do runs f on Run's goroutine and returns its error.
func (r *Runner) do(ctx context.Context, f func(ctx context.Context) error) error {
	reply := make(chan error, 1)
	select {
	case r.reqs <- func(ctx context.Context) { reply <- f(ctx) }:
	case <-r.done:
		return fmt.Errorf("room %q: session runner stopped", r.cfg.Room)
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Start sets up a session of pl under prof in the room.
// The playlist's tracks are loaded first, off the runner's goroutine.
func (r *Runner) Start(ctx context.Context, pl playlists.Playlist, prof playlists.Profile, who Who) error {
	tracks, err := r.cfg.Tracks(ctx, pl)
	if err != nil {
		return fmt.Errorf("start a session in %q: tracks of playlist %q: %w", r.cfg.Room, pl.Name, err)
	}
	return r.do(ctx, func(ctx context.Context) error {
		if r.core != nil {
			return fmt.Errorf("start a session in %q: %w", r.cfg.Room, ErrBusy)
		}
		c, acts, e, err := New(r.cfg.Room, pl, prof, tracks, r.limits(), r.cfg.Volume, who, r.cfg.Now())
		if err != nil {
			return err
		}
		id, err := r.cfg.Store.Create(ctx, c.Record(), e)
		if err != nil {
			return fmt.Errorf("start a session in %q: %w", r.cfg.Room, err)
		}
		c.SetID(id)
		r.core, r.tracks = c, tracks
		r.act(ctx, acts)
		r.changed()
		return nil
	})
}

// Do applies cmd to the room's session: stored first, then carried out.
func (r *Runner) Do(ctx context.Context, cmd Command) error {
	return r.do(ctx, func(ctx context.Context) error {
		if r.core == nil {
			return fmt.Errorf("%s in %q: %w", cmd.Kind, r.cfg.Room, ErrNoSession)
		}
		before := r.core.Record()
		r.core.SetLimits(r.limits())
		acts, e, err := r.core.Apply(cmd, r.cfg.Now())
		if err != nil {
			return err
		}
		if err := r.cfg.Store.Save(ctx, r.core.Record(), e); err != nil {
			// Not stored, so not done: put the session back as it was.
			c, rerr := Restore(before, r.tracks, r.limits())
			if rerr == nil {
				r.core = c
			}
			return fmt.Errorf("%s in %q: %w", cmd.Kind, r.cfg.Room, err)
		}
		r.act(ctx, acts)
		if r.core.Record().Status == StatusEnded {
			r.core, r.tracks = nil, nil
		}
		r.changed()
		return nil
	})
}

// Snapshot returns the room's session record and plan, or false when it
// has none.
func (r *Runner) Snapshot(ctx context.Context) (Record, playlists.Plan, bool, error) {
	var (
		rec  Record
		plan playlists.Plan
		ok   bool
	)
	err := r.do(ctx, func(context.Context) error {
		if r.core != nil {
			rec, plan, ok = r.core.Record(), r.core.Plan(), true
		}
		return nil
	})
	return rec, plan, ok, err
}

// Observe logs what the room's engine reports of the session's music: an
// item that began sounding (KindItem) or failed (KindFailed). Other events,
// and events while the room has no session, are ignored. It runs on Run's
// goroutine like every command, so the log stays in order with them.
func (r *Runner) Observe(ctx context.Context, ev player.Event) error {
	if ev.Kind != player.EventItemStarted && ev.Kind != player.EventItemFailed {
		return nil
	}
	return r.do(ctx, func(ctx context.Context) error {
		if r.core == nil {
			return nil
		}
		e, ok := r.core.Observed(ev, r.cfg.Now())
		if !ok {
			return nil
		}
		if err := r.cfg.Store.Log(ctx, r.core.Record().ID, e); err != nil {
			return fmt.Errorf("room %q: log %s: %w", r.cfg.Room, e.Kind, err)
		}
		r.changed()
		return nil
	})
}

// act carries out actions; an engine error is logged, not returned: the
// decision is stored and the engine's own events report its trouble.
func (r *Runner) act(ctx context.Context, acts []Action) {
	for _, a := range acts {
		if err := r.cfg.Engine.Act(ctx, a); err != nil {
			r.cfg.Log.Error("session action failed", "room", r.cfg.Room, "op", a.Op, "err", err)
		}
	}
}

func (r *Runner) tick(ctx context.Context) {
	if r.core == nil {
		return
	}
	acts, e, changed := r.core.Tick(r.cfg.Now())
	if !changed {
		return
	}
	if err := r.cfg.Store.Save(ctx, r.core.Record(), e); err != nil {
		r.cfg.Log.Error("store the end of a session", "room", r.cfg.Room, "err", err)
	}
	r.act(ctx, acts)
	r.core, r.tracks = nil, nil
	r.changed()
}

// recover carries on the room's session that was live when attune stopped.
func (r *Runner) recover(ctx context.Context) error {
	live, err := r.cfg.Store.Live(ctx)
	if err != nil {
		return fmt.Errorf("room %q: recover: %w", r.cfg.Room, err)
	}
	for _, rec := range live {
		if rec.Room != r.cfg.Room {
			continue
		}
		tracks, err := r.cfg.Tracks(ctx, rec.Playlist)
		if err != nil {
			return fmt.Errorf("room %q: recover session %d: tracks of playlist %q: %w", r.cfg.Room, rec.ID, rec.Playlist.Name, err)
		}
		c, err := Restore(rec, tracks, r.limits())
		if err != nil {
			return fmt.Errorf("room %q: %w", r.cfg.Room, err)
		}
		acts, e := c.Recover(r.cfg.Now())
		if err := r.cfg.Store.Save(ctx, c.Record(), e); err != nil {
			return fmt.Errorf("room %q: recover session %d: %w", r.cfg.Room, rec.ID, err)
		}
		r.act(ctx, acts)
		if c.Record().Status != StatusEnded {
			r.core, r.tracks = c, tracks
		}
		r.changed()
		r.cfg.Log.Info("session recovered", "room", r.cfg.Room, "session", rec.ID, "detail", e.Detail)
	}
	return nil
}
