// Package player is the live engine of one room: it plays a timeline through
// the sound-safe graph (sequencer, pause/quiet envelope, slew-limited master
// gain, safety limiter, per-output trims) into several output sinks at once,
// under commands that never change the level in a step.
package player

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"attune/player/dsp"
	"attune/player/timeline"

	"github.com/gopxl/beep/v2"
)

// Sink receives the room's mix, one block at a time: stereo float samples at
// the engine rate, full scale ±1, already limited to the room's ceiling. Write
// may block to pace the engine (a sound card does; its Paced method says so)
// but must return within about two blocks' time; an error means this sink
// failed: the engine logs it, keeps feeding the others, and retries opening it
// later with backoff. Close releases everything; it is idempotent.
type Sink interface {
	Write(block [][2]float64) error
	Paced() bool
	Close() error
}

// Defaults of Config's zero fields.
const (
	DefaultRate      = 48000
	DefaultPauseFade = 2 * time.Second
	DefaultSkipFade  = 4 * time.Second
	DefaultCeilingDB = -1.0
	DefaultBlock     = 10 * time.Millisecond
	// CeilingFade is how long the output takes to move from one ceiling's
	// limiter to the next one's (SetCeiling).
	CeilingFade = 200 * time.Millisecond
	// MaxTrimDB is the highest per-sink trim: trims come after the limiter,
	// so they may only lower the level.
	MaxTrimDB = 0.0
)

// Errors returned by commands.
var (
	ErrClosed      = errors.New("engine is not running")
	ErrNotLoaded   = errors.New("no timeline loaded")
	ErrNoNextItem  = errors.New("no next item to skip to")
	ErrNoItem      = errors.New("no item is playing")
	ErrUnknownSink = errors.New("no such sink")
)

// SinkConfig is one output of the room.
type SinkConfig struct {
	Name   string
	Sink   Sink    // the opened sink; nil means open it with Reopen first
	TrimDB float64 // this output's level, ≤ MaxTrimDB
	// Reopen opens the sink again after it failed; the engine calls it with
	// backoff (from 500 ms doubling to 30 s) on the sink's own goroutine.
	// Nil means a failed sink stays closed.
	Reopen func(ctx context.Context) (Sink, error)
}

// Config configures an Engine. Zero fields take the defaults above.
type Config struct {
	Rate      int           // engine rate, Hz
	Block     int           // samples per block; 0 means DefaultBlock at Rate
	PauseFade time.Duration // pause, resume, seek, stop, quiet and shutdown fades
	// SkipFade is the length of a skip's crossfade: the current music fades
	// out (cos) while the next item fades in (sin) over the whole of it.
	SkipFade time.Duration
	MaxSlew  float64 // master volume slew limit, dB/s; 0 means dsp.DefaultSlew
	// CeilingDB is the room's peak ceiling in dBFS, in [-60, 0); 0 means
	// DefaultCeilingDB. No command raises the output above it.
	CeilingDB float64
	VolumeDB  float64 // initial master volume
	Opener    timeline.Opener
	Preroll   time.Duration // how far ahead items are opened; 0 is timeline.DefaultPreroll
	Sinks     []SinkConfig
	// Events receives what happens. Sends never block: when the channel is
	// full the event is dropped and counted (Dropped). Nil discards events.
	Events chan<- Event
}

// Engine plays one room. Create it with New, then call either Run (live) or
// Render (offline), once. Commands (Do and its wrappers) may be sent from
// any goroutine while Run runs; Render takes its commands as Cues.
type Engine struct {
	cfg       Config
	fadePause int64 // samples
	fadeSkip  int64 // samples
	fadeTurn  int64 // samples: skipTurnFade
	blockDur  time.Duration

	cmds    chan request
	done    chan struct{} // closed when Run returns
	started atomic.Bool
	dropped atomic.Int64
	posNow  atomic.Int64 // timeline sample now playing, for Position
	stateAt atomic.Int32 // State, for State

	// Everything below is owned by the engine goroutine.
	decks    deckMix
	env      *dsp.Envelope // master: pause, quiet, stop and transition fades
	master   *dsp.Gain
	limit    *ceilingStage
	latency  int // samples, fixed at New
	mix      [][2]float64
	runners  []*sinkRunner
	prep     preparer
	cur      *deck   // the playing deck (the incoming one during a skip crossfade), nil when stopped
	out      *deck   // the outgoing deck of a skip crossfade, nil when none
	xf       *loaded // a skip's target waiting to be ready to crossfade in
	xfFade   int64   // the length of xf's crossfade, samples
	rep      *loaded // an OpReplace's timeline, waiting to swap in at rep.base
	pend     *transition
	state    State // what the user asked for
	quiet    bool
	reported State
	exiting  bool
	heldFor  int   // blocks rendered since the envelope was last seen held
	sinceSec int64 // samples since the last position event
}

// New checks cfg and builds an engine, silent and stopped.
func New(cfg Config) (*Engine, error) {
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Rate < timeline.MinRate || cfg.Rate > timeline.MaxRate {
		return nil, fmt.Errorf("player: rate %d Hz is outside %d…%d", cfg.Rate, timeline.MinRate, timeline.MaxRate)
	}
	rate := beep.SampleRate(cfg.Rate)
	if cfg.Block == 0 {
		cfg.Block = rate.N(DefaultBlock)
	}
	if cfg.Block < 16 || cfg.Block > cfg.Rate {
		return nil, fmt.Errorf("player: block of %d samples: want 16…%d", cfg.Block, cfg.Rate)
	}
	if cfg.PauseFade == 0 {
		cfg.PauseFade = DefaultPauseFade
	}
	if cfg.SkipFade == 0 {
		cfg.SkipFade = DefaultSkipFade
	}
	if cfg.PauseFade < 0 || cfg.SkipFade < 0 {
		return nil, fmt.Errorf("player: negative fade (pause %s, skip %s)", cfg.PauseFade, cfg.SkipFade)
	}
	if cfg.MaxSlew == 0 {
		cfg.MaxSlew = dsp.DefaultSlew
	}
	if cfg.CeilingDB == 0 {
		cfg.CeilingDB = DefaultCeilingDB
	}
	if cfg.Opener == nil {
		return nil, errors.New("player: no opener")
	}
	e := &Engine{
		cfg:       cfg,
		fadePause: max(timeline.Samples(cfg.PauseFade, cfg.Rate), 1),
		fadeSkip:  max(timeline.Samples(cfg.SkipFade, cfg.Rate), 1),
		fadeTurn:  max(timeline.Samples(skipTurnFade, cfg.Rate), 1),
		blockDur:  time.Duration(int64(cfg.Block) * int64(time.Second) / int64(cfg.Rate)),
		cmds:      make(chan request),
		done:      make(chan struct{}),
		mix:       make([][2]float64, cfg.Block),
	}
	e.decks.tmp = make([][2]float64, cfg.Block)
	e.env = dsp.NewEnvelope(&e.decks, 0)
	e.env.Pause(1) // stopped: held at silence, from the first sample
	e.env.Stream(make([][2]float64, 1))
	e.master = dsp.NewGain(e.env, rate)
	if err := e.master.SetSlew(cfg.MaxSlew); err != nil {
		return nil, fmt.Errorf("player: %w", err)
	}
	e.master.Reset(cfg.VolumeDB) // not heard: the envelope is silent
	lim, err := newCeilingStage(e.master, rate, cfg.Block, cfg.CeilingDB)
	if err != nil {
		return nil, fmt.Errorf("player: ceiling %v dBFS: %w", cfg.CeilingDB, err)
	}
	e.limit = lim
	e.latency = lim.cur.Latency()
	names := map[string]bool{}
	for _, sc := range cfg.Sinks {
		if names[sc.Name] {
			return nil, fmt.Errorf("player: sink %q configured twice", sc.Name)
		}
		names[sc.Name] = true
		if sc.Sink == nil && sc.Reopen == nil {
			return nil, fmt.Errorf("player: sink %q has neither a sink nor a way to open one", sc.Name)
		}
		if !(sc.TrimDB <= MaxTrimDB) {
			return nil, fmt.Errorf("player: sink %q trim %v dB: must be at most %v dB", sc.Name, sc.TrimDB, MaxTrimDB)
		}
		e.runners = append(e.runners, newSinkRunner(sc, rate, cfg.Block, e.emit))
	}
	return e, nil
}

// Dropped counts events dropped because the Events channel was full.
func (e *Engine) Dropped() int64 { return e.dropped.Load() }

// Position returns the timeline position now playing (the music's clock:
// it stands still while paused). Safe from any goroutine.
func (e *Engine) Position() time.Duration { return e.toDur(e.posNow.Load()) }

// Latency is how many samples the output lags the timeline: the limiter's
// lookahead. It is fixed for the engine's life (a ceiling change keeps it).
func (e *Engine) Latency() int { return e.latency }

// State returns the state as last reported. Safe from any goroutine.
func (e *Engine) State() State { return State(e.stateAt.Load()) }

// SinkDropped returns how many blocks the named sink missed because its queue
// was full (it was slower than real time), and false if there is no such sink.
func (e *Engine) SinkDropped(name string) (int64, bool) {
	for _, r := range e.runners {
		if r.name == name {
			return r.overruns.Load(), true
		}
	}
	return 0, false
}

// Run plays live until ctx ends, then fades out over the pause fade, closes
// every sink and source and returns nil. Pacing comes from a paced sink's
// blocking Write when there is one that works, else from the monotonic clock.
func (e *Engine) Run(ctx context.Context) error {
	if !e.started.CompareAndSwap(false, true) {
		return errors.New("player: engine already ran")
	}
	defer close(e.done)
	// The workers outlive ctx by the shutdown fade.
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var sinksWG sync.WaitGroup
	defer func() {
		// The sinks write what is queued (the end of the fade-out) first.
		for _, r := range e.runners {
			close(r.full)
		}
		sinksWG.Wait()
		cancel()
		e.prep.closeAll()
	}()
	e.prep = newAsyncPreparer(wctx)
	for _, r := range e.runners {
		sinksWG.Add(1)
		go func() { defer sinksWG.Done(); r.run(wctx) }()
	}

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	next := time.Now()
	var exitBy time.Time
	ctxDone := ctx.Done()
	for {
		var pacedFree chan [][2]float64
		var pacer *sinkRunner
		var tick <-chan time.Time
		if pacer = e.pacer(); pacer != nil {
			pacedFree = pacer.free
			next = time.Now()
		} else {
			timer.Reset(time.Until(next))
			tick = timer.C
		}
		select {
		case <-ctxDone:
			ctxDone = nil
			e.exiting = true
			exitBy = time.Now().Add(e.cfg.PauseFade + time.Second)
			e.pauseEnvelope(e.fadePause)
			continue
		case rq := <-e.cmds:
			if e.exiting {
				rq.reply <- ErrClosed
			} else {
				rq.reply <- e.apply(rq.cmd)
				e.advance()
				e.reportState()
			}
			continue
		case b := <-pacedFree:
			e.step(pacer, b)
		case <-tick:
			if lag := time.Since(next); lag > 20*e.blockDur {
				e.emit(Event{Kind: EventUnderrun, Position: e.Position(), Item: -1,
					Err: fmt.Errorf("engine %s behind real time", lag.Round(time.Millisecond))})
				next = time.Now()
			}
			next = next.Add(e.blockDur)
			e.step(nil, nil)
		}
		if e.exiting && (e.silentOut() || time.Now().After(exitBy)) {
			return nil
		}
	}
}

// pacer returns the sink runner whose Write paces the engine, if one is up.
func (e *Engine) pacer() *sinkRunner {
	for _, r := range e.runners {
		if r.up.Load() && r.paced.Load() {
			return r
		}
	}
	return nil
}

// step renders one block and hands it to every sink: b is a free block of
// sink runner pr, the pacing sink, or nil.
func (e *Engine) step(pr *sinkRunner, b [][2]float64) {
	e.render()
	for _, r := range e.runners {
		blk := b
		if r != pr {
			select {
			case blk = <-r.free:
			default:
				r.overruns.Add(1)
				continue
			}
		}
		r.fill(blk, e.mix)
		r.full <- blk // never blocks: the queue holds the whole pool
	}
}

// render computes the next block of the mix into e.mix and advances the
// engine's state machine.
func (e *Engine) render() {
	e.forwardItemEvents()
	e.limit.Stream(e.mix)
	e.advance()
	if e.env.Held() {
		e.heldFor++
	} else {
		e.heldFor = 0
	}
	pos := e.timelinePos()
	e.posNow.Store(pos)
	e.sinceSec += int64(len(e.mix))
	if e.sinceSec >= int64(e.cfg.Rate) {
		e.sinceSec -= int64(e.cfg.Rate)
		if e.cur != nil {
			e.emit(Event{Kind: EventPosition, Position: e.toDur(pos), State: e.reported, Item: -1})
		}
	}
}

// silentOut reports whether the envelope has been held long enough for the
// limiter's delay line to hold nothing but silence: the output is silent.
func (e *Engine) silentOut() bool {
	return e.heldFor > e.limit.cur.Latency()/e.cfg.Block+1
}

// emit sends ev without blocking, counting it when dropped. Safe from any
// goroutine.
func (e *Engine) emit(ev Event) {
	if e.cfg.Events == nil {
		return
	}
	select {
	case e.cfg.Events <- ev:
	default:
		e.dropped.Add(1)
	}
}

// toDur converts a sample count at the engine rate to a duration.
func (e *Engine) toDur(samples int64) time.Duration {
	r := int64(e.cfg.Rate)
	return time.Duration(samples/r)*time.Second + time.Duration(samples%r*int64(time.Second)/r)
}
