package player

import (
	"context"
	"sync"
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

type prepMsg struct {
	l      *loaded
	retire bool
}

// asyncPreparer prepares on a goroutine of its own: the live engine's.
type asyncPreparer struct {
	msgs    chan prepMsg
	backlog []prepMsg // engine goroutine: messages the channel had no room for
	left    chan []*loaded
}

func newAsyncPreparer(ctx context.Context, wg *sync.WaitGroup) *asyncPreparer {
	p := &asyncPreparer{msgs: make(chan prepMsg, 32), left: make(chan []*loaded, 1)}
	wg.Add(1)
	go func() { defer wg.Done(); p.loop(ctx) }()
	return p
}

func (p *asyncPreparer) add(l *loaded)    { p.send(prepMsg{l: l}) }
func (p *asyncPreparer) retire(l *loaded) { p.send(prepMsg{l: l, retire: true}) }

func (p *asyncPreparer) send(m prepMsg) {
	p.backlog = append(p.backlog, m)
	p.flush()
}

func (p *asyncPreparer) flush() {
	for len(p.backlog) > 0 {
		select {
		case p.msgs <- p.backlog[0]:
			p.backlog = p.backlog[1:]
		default:
			return
		}
	}
}

// loop prepares every live sequencer every prepareEvery, and each new one at
// once. When ctx ends it hands what it holds to closeAll.
func (p *asyncPreparer) loop(ctx context.Context) {
	var live []*loaded
	t := time.NewTicker(prepareEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			p.left <- live
			return
		case m := <-p.msgs:
			live = apply(ctx, live, m)
		case <-t.C:
			for _, l := range live {
				_ = l.seq.Prepare(ctx) // failures arrive as events; ctx's error ends the loop above
			}
		}
	}
}

// apply adds or retires one sequencer.
func apply(ctx context.Context, live []*loaded, m prepMsg) []*loaded {
	if m.retire {
		for i, l := range live {
			if l == m.l {
				live = append(live[:i], live[i+1:]...)
				break
			}
		}
		m.l.seq.Close()
		return live
	}
	_ = m.l.seq.Prepare(ctx)
	close(m.l.ready)
	return append(live, m.l)
}

func (p *asyncPreparer) closeAll() {
	// Each sequencer is closed once, whether it was live or its message was
	// still on its way.
	seen := map[*loaded]bool{}
	for _, l := range <-p.left {
		seen[l] = true
	}
	for drained := false; !drained; {
		select {
		case m := <-p.msgs:
			seen[m.l] = true
		default:
			drained = true
		}
	}
	for _, m := range p.backlog {
		seen[m.l] = true
	}
	p.backlog = nil
	for l := range seen {
		l.seq.Close()
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

func (p *syncPreparer) retire(l *loaded) { p.live = apply(p.ctx, p.live, prepMsg{l: l, retire: true}) }
func (p *syncPreparer) flush()           {}

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
