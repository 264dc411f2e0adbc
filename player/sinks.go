package player

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"attune/player/dsp"

	"github.com/gopxl/beep/v2"
)

// Sink queue and reopen backoff.
const (
	// A paced sink (a sound card) gets a short queue: the engine runs that
	// far ahead of what is heard, so it is the latency of every command.
	// Other sinks (a file, the stream) never make anyone wait, so theirs is
	// long enough to ride out a busy machine's scheduling delays: with both
	// cores loaded, 4 blocks (40 ms) lost blocks to a WAV sink, which is a
	// click in the recording.
	sinkQueue     = 4  // blocks, paced sinks
	unpacedQueue  = 50 // blocks, other sinks: 0.5 s at 10 ms blocks
	backoffFirst  = 500 * time.Millisecond
	backoffMax    = 30 * time.Second
	sinkCloseWait = time.Second
)

// sinkRunner feeds one sink from its own goroutine, so a slow or failing
// sink never stalls the engine or the other sinks. Blocks circulate between
// free (owned by the engine) and full (owned by the runner's goroutine), so
// no block is allocated after New.
type sinkRunner struct {
	name   string
	reopen func(ctx context.Context) (Sink, error)
	emit   func(Event)

	// Engine goroutine only.
	trim *dsp.Gain
	in   blockReader

	free, full chan [][2]float64
	up         atomic.Bool  // the sink is open and working
	paced      atomic.Bool  // its Write paces the engine
	overruns   atomic.Int64 // blocks the engine could not queue

	sink Sink // the runner goroutine's; nil while failed
}

func newSinkRunner(sc SinkConfig, rate beep.SampleRate, block int, emit func(Event)) *sinkRunner {
	queue := sinkQueue
	if sc.Sink != nil && !sc.Sink.Paced() {
		queue = unpacedQueue
	}
	r := &sinkRunner{
		name: sc.Name, reopen: sc.Reopen, emit: emit, sink: sc.Sink,
		free: make(chan [][2]float64, queue), full: make(chan [][2]float64, queue),
	}
	r.trim = dsp.NewGain(&r.in, rate)
	r.trim.Reset(sc.TrimDB) // not heard: the mix starts silent
	for range queue {
		r.free <- make([][2]float64, block)
	}
	if sc.Sink != nil {
		r.up.Store(true)
		r.paced.Store(sc.Sink.Paced())
	}
	return r
}

// fill writes the mix through the sink's trim into blk.
func (r *sinkRunner) fill(blk, mix [][2]float64) {
	r.in.set(mix)
	r.trim.Stream(blk)
}

// run writes the blocks the engine queues until full is closed and drained,
// or ctx ends; then it closes the sink. While the sink is failed it returns
// blocks unwritten and reopens the sink with backoff.
func (r *sinkRunner) run(ctx context.Context) {
	defer func() {
		if r.sink != nil {
			r.sink.Close()
		}
		r.up.Store(false)
	}()
	backoff := backoffFirst
	var retryAt time.Time
	if r.sink == nil {
		retryAt = time.Now()
	}
	for {
		var blk [][2]float64
		select {
		case <-ctx.Done():
			return
		case b, ok := <-r.full:
			if !ok {
				return
			}
			blk = b
		}
		if r.sink == nil && r.reopen != nil && !time.Now().Before(retryAt) {
			s, err := r.reopen(ctx)
			if err == nil {
				r.sink, backoff = s, backoffFirst
				r.paced.Store(s.Paced())
				r.up.Store(true)
				r.emit(Event{Kind: EventSinkRecovered, Sink: r.name, Item: -1})
			} else {
				retryAt = time.Now().Add(backoff)
				backoff = min(2*backoff, backoffMax)
				r.emit(Event{Kind: EventSinkError, Sink: r.name, Item: -1, Err: fmt.Errorf("reopen sink %q: %w", r.name, err)})
			}
		}
		if r.sink != nil {
			if err := r.sink.Write(blk); err != nil {
				r.up.Store(false)
				r.sink.Close()
				r.sink = nil
				retryAt = time.Now().Add(backoff)
				backoff = min(2*backoff, backoffMax)
				r.emit(Event{Kind: EventSinkError, Sink: r.name, Item: -1, Err: fmt.Errorf("write to sink %q: %w", r.name, err)})
			}
		}
		r.free <- blk // never blocks: free and full share the pool
	}
}
