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
	// underrunEvery is the least time between two EventSinkUnderrun of
	// one sink: a device that keeps running dry must not flood the events
	// channel; each event carries the total.
	underrunEvery = time.Second
)

// underrunCounter is a sink that counts its device's underruns (the device
// ran dry, and the sink recovered and played on): the ALSA speaker does. The
// sink runner reports increases as EventSinkUnderrun. Underruns must be
// cheap and must not block.
type underrunCounter interface {
	Underruns() int64
}

// SinkUnderruns is the Err of an EventSinkUnderrun: a sink's device ran
// dry New times since the last such event, Total times since the engine
// started (across reopenings).
type SinkUnderruns struct {
	Sink       string
	New, Total int64
}

func (u *SinkUnderruns) Error() string {
	times := fmt.Sprintf("%d times", u.New)
	if u.New == 1 {
		times = "once"
	}
	return fmt.Sprintf("sink %q: the device ran dry %s (%d in all) and recovered; a gap was heard", u.Sink, times, u.Total)
}

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

	// Underrun accounting, the runner goroutine's.
	now        func() time.Time // the clock that rate-limits events; a test's fake
	urSeen     int64            // the current sink's Underruns at the last check
	urTotal    int64            // underruns counted since the runner started
	urReported int64            // urTotal at the last event
	urEmitted  time.Time        // when the last event was sent; zero if none
}

func newSinkRunner(sc SinkConfig, rate beep.SampleRate, block int, emit func(Event)) *sinkRunner {
	queue := sinkQueue
	if sc.Sink != nil && !sc.Sink.Paced() {
		queue = unpacedQueue
	}
	r := &sinkRunner{
		name: sc.Name, reopen: sc.Reopen, emit: emit, sink: sc.Sink,
		free: make(chan [][2]float64, queue), full: make(chan [][2]float64, queue),
		now: time.Now,
	}
	r.trim = dsp.NewGain(&r.in, rate)
	r.trim.Reset(sc.TrimDB) // not heard: the mix starts silent
	for range queue {
		r.free <- make([][2]float64, block)
	}
	if sc.Sink != nil {
		r.up.Store(true)
		r.paced.Store(sc.Sink.Paced())
		r.adopt(sc.Sink)
	}
	return r
}

// adopt starts counting s's underruns from what it has counted already.
func (r *sinkRunner) adopt(s Sink) {
	r.urSeen = 0
	if uc, ok := s.(underrunCounter); ok {
		r.urSeen = uc.Underruns()
	}
}

// countUnderruns adds the sink's new underruns to the total and reports
// them, at most once per underrunEvery unless flush is set (at the end, so
// the last ones are not lost).
func (r *sinkRunner) countUnderruns(flush bool) {
	if uc, ok := r.sink.(underrunCounter); ok {
		n := uc.Underruns()
		if n > r.urSeen {
			r.urTotal += n - r.urSeen
		}
		r.urSeen = n
	}
	if r.urTotal == r.urReported {
		return
	}
	now := r.now()
	if !flush && !r.urEmitted.IsZero() && now.Sub(r.urEmitted) < underrunEvery {
		return
	}
	r.emit(Event{Kind: EventSinkUnderrun, Sink: r.name, Item: -1,
		Err: &SinkUnderruns{Sink: r.name, New: r.urTotal - r.urReported, Total: r.urTotal}})
	r.urReported, r.urEmitted = r.urTotal, now
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
		r.countUnderruns(true)
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
				r.adopt(s)
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
			err := r.sink.Write(blk)
			r.countUnderruns(false)
			if err != nil {
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
