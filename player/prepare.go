package player

import (
	"context"
	"slices"
	"time"
)

// prepareEvery is how often the preparer opens upcoming items and tops up
// the sequencers' read-ahead rings, where all decoding happens. A ring holds
// timeline.ReadAhead (2.25 s): a tenth of a second between top-ups leaves a
// second of slack for a busy machine before a failing source's fade gets
// shorter than timeline.FailFade, and more before an underrun.
const prepareEvery = 100 * time.Millisecond

// preparer runs the sequencers' Prepare and Close off the real-time path.
// Its methods are called from the engine goroutine.
type preparer interface {
	add(l *loaded)    // prepare l from now on; close l.ready after its first Prepare
	retire(l *loaded) // the engine no longer streams l: close it
	flush()           // pass on what could not be sent yet
	closeAll()        // after the engine stopped: close everything left
}

// stuckWait is how long closeAll waits, after the engine stopped, for
// preparer goroutines to finish; one still inside a decoder (a read that
// never returns, on a hung network share) is abandoned with its sequencer,
// since nothing can interrupt it.
const stuckWait = 2 * time.Second

// asyncPreparer prepares each sequencer on a goroutine of its own (the
// live engine's): a decoder that blocks stalls only its own timeline, which
// fades out as an underrun, and never the next one a skip or load brings.
// Its methods are called from the engine goroutine; each worker is stopped
// through its own channel and closes its sequencer when it exits.
type asyncPreparer struct {
	ctx     context.Context
	workers map[*loaded]*prepWorker // engine goroutine: live workers
	retired []*prepWorker           // engine goroutine: stopped, maybe not yet exited
}

type prepWorker struct {
	stop chan struct{} // closed by the engine goroutine to stop the worker
	done chan struct{} // closed by the worker when it has exited and closed its sequencer
}

func newAsyncPreparer(ctx context.Context) *asyncPreparer {
	return &asyncPreparer{ctx: ctx, workers: map[*loaded]*prepWorker{}}
}

func (p *asyncPreparer) add(l *loaded) {
	if _, ok := p.workers[l]; ok {
		return
	}
	w := &prepWorker{stop: make(chan struct{}), done: make(chan struct{})}
	p.workers[l] = w
	go w.run(p.ctx, l)
}

func (p *asyncPreparer) retire(l *loaded) {
	w, ok := p.workers[l]
	if !ok {
		return // never added (a sequencer opens nothing before Prepare), or retired already
	}
	delete(p.workers, l)
	close(w.stop)
	// Forget workers that have exited, so a long session keeps no list.
	p.retired = slices.DeleteFunc(append(p.retired, w), (*prepWorker).exited)
}

func (p *asyncPreparer) flush() {}

// closeAll stops every worker and waits, at most stuckWait, for them to
// exit (each closes its own sequencer).
func (p *asyncPreparer) closeAll() {
	for l := range p.workers {
		p.retire(l)
	}
	deadline := time.NewTimer(stuckWait)
	defer deadline.Stop()
	for _, w := range p.retired {
		select {
		case <-w.done:
		case <-deadline.C:
			return // the rest are stuck in a decoder; they are abandoned
		}
	}
	p.retired = nil
}

func (w *prepWorker) exited() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// run prepares l at once (then l is ready), and every prepareEvery until
// stopped or ctx ends; then it closes l's sequencer.
func (w *prepWorker) run(ctx context.Context, l *loaded) {
	defer close(w.done)
	defer func() { _ = l.seq.Close() }() // read-only sources; nothing to do with the error
	_ = l.seq.Prepare(ctx)               // failures arrive as events
	close(l.ready)
	t := time.NewTicker(prepareEvery)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			_ = l.seq.Prepare(ctx)
		}
	}
}

// syncPreparer prepares on the caller's goroutine: offline rendering.
type syncPreparer struct {
	ctx  context.Context // Render's, for the duration of Render
	live []*loaded
}

func (p *syncPreparer) add(l *loaded) {
	_ = l.seq.Prepare(p.ctx)
	close(l.ready)
	p.live = append(p.live, l)
}

func (p *syncPreparer) retire(l *loaded) {
	if i := slices.Index(p.live, l); i >= 0 {
		p.live = slices.Delete(p.live, i, i+1)
		_ = l.seq.Close() // read-only sources; nothing to do with the error
	}
}

func (p *syncPreparer) flush() {}

// tick prepares every live sequencer; Render calls it before each block.
func (p *syncPreparer) tick() {
	for _, l := range p.live {
		_ = l.seq.Prepare(p.ctx)
	}
}

func (p *syncPreparer) closeAll() {
	for _, l := range p.live {
		l.seq.Close()
	}
	p.live = nil
}
