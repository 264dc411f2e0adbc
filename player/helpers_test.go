package player

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"attune/player/timeline"
)

const testRate = 8000

// signal is what a fake track plays, per track sample i.
type signal func(i int) [2]float64

// sine is a sine on both channels.
func sine(f, amp float64) signal {
	return func(i int) [2]float64 {
		v := amp * math.Sin(2*math.Pi*f*float64(i)/testRate)
		return [2]float64{v, v}
	}
}

// quad is sine on the left and cosine on the right: atan2 of a sample gives
// the track position modulo the period, whatever gain was applied.
func quad(f, amp float64) signal {
	return func(i int) [2]float64 {
		a := 2 * math.Pi * f * float64(i) / testRate
		return [2]float64{amp * math.Sin(a), amp * math.Cos(a)}
	}
}

// phaseSamples returns the track position, modulo the period of quad(f, …),
// that sample x shows.
func phaseSamples(x [2]float64, f float64) float64 {
	ph := math.Atan2(x[0], x[1])
	if ph < 0 {
		ph += 2 * math.Pi
	}
	return ph / (2 * math.Pi * f) * testRate
}

type fakeTrack struct {
	sig    signal
	length int
}

// fakeOpener opens fakeTracks by name.
type fakeOpener map[string]fakeTrack

func (o fakeOpener) Open(_ context.Context, it timeline.Item, rate int) (timeline.Source, error) {
	tr, ok := o[it.Track]
	if !ok {
		return nil, fmt.Errorf("no track %q", it.Track)
	}
	return &fakeSource{tr: tr}, nil
}

type fakeSource struct {
	tr  fakeTrack
	pos int
}

func (s *fakeSource) Stream(buf [][2]float64) (int, bool) {
	n := 0
	for n < len(buf) && s.pos < s.tr.length {
		buf[n] = s.tr.sig(s.pos)
		n++
		s.pos++
	}
	return n, n > 0
}
func (s *fakeSource) Err() error { return nil }
func (s *fakeSource) Seek(p int) error {
	if p < 0 || p > s.tr.length {
		return fmt.Errorf("seek %d outside [0, %d]", p, s.tr.length)
	}
	s.pos = p
	return nil
}
func (s *fakeSource) Close() error { return nil }

// capSink captures what it is given. failAt > 0 makes the failAt-th Write
// fail; paced makes each Write take delay.
type capSink struct {
	mu     sync.Mutex // protects everything below; the sink's goroutine writes, the test reads
	out    [][2]float64
	writes int
	failAt int
	paced  bool
	delay  time.Duration
	closed int
}

func (c *capSink) Write(b [][2]float64) error {
	if c.delay > 0 {
		time.Sleep(c.delay)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	if c.failAt > 0 && c.writes >= c.failAt {
		return errors.New("fake device gone")
	}
	c.out = append(c.out, b...)
	return nil
}
func (c *capSink) Paced() bool { return c.paced }
func (c *capSink) Close() error {
	c.mu.Lock()
	c.closed++
	c.mu.Unlock()
	return nil
}
func (c *capSink) samples() [][2]float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][2]float64(nil), c.out...)
}

func sec(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }

// at converts seconds to a sample index at testRate.
func at(s float64) int { return int(math.Round(s * testRate)) }

// oneTrack is a timeline of one item of track "a" lasting d.
func oneTrack(d time.Duration) timeline.Timeline {
	return timeline.Timeline{Items: []timeline.Item{{Track: "a", End: d}}}
}

// testConfig is an engine config at testRate with 10 ms blocks and the
// default fades, playing tracks from o.
func testConfig(o fakeOpener) Config {
	return Config{Rate: testRate, Block: 80, Opener: o}
}

// render runs Render with one capturing sink and returns its samples and the
// events.
func render(tb testing.TB, cfg Config, length time.Duration, cues ...Cue) ([][2]float64, []Event) {
	tb.Helper()
	sink := &capSink{}
	cfg.Sinks = append(cfg.Sinks, SinkConfig{Name: "main", Sink: sink})
	ch := make(chan Event, 4096)
	cfg.Events = ch
	e, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	if err := e.Render(context.Background(), length, cues); err != nil {
		tb.Fatalf("Render: %v", err)
	}
	close(ch)
	var evs []Event
	for ev := range ch {
		evs = append(evs, ev)
	}
	if e.Dropped() > 0 {
		tb.Fatalf("%d events dropped", e.Dropped())
	}
	return sink.samples(), evs
}

// peaks returns the peak of each block of n samples.
func peaks(out [][2]float64, n int) []float64 {
	var p []float64
	for i := 0; i+n <= len(out); i += n {
		m := 0.0
		for _, x := range out[i : i+n] {
			m = max(m, math.Abs(x[0]), math.Abs(x[1]))
		}
		p = append(p, m)
	}
	return p
}

// maxStep returns the largest sample-to-sample step of out and where.
func maxStep(out [][2]float64) (float64, int) {
	m, at := 0.0, 0
	for i := 1; i < len(out); i++ {
		for c := range 2 {
			if d := math.Abs(out[i][c] - out[i-1][c]); d > m {
				m, at = d, i
			}
		}
	}
	return m, at
}

// lastNonZero returns the index of the last sample before end with a
// non-zero channel, or −1.
func lastNonZero(out [][2]float64, end int) int {
	for i := end - 1; i >= 0; i-- {
		if out[i][0] != 0 || out[i][1] != 0 {
			return i
		}
	}
	return -1
}

func firstNonZero(out [][2]float64, from int) int {
	for i := from; i < len(out); i++ {
		if out[i][0] != 0 || out[i][1] != 0 {
			return i
		}
	}
	return -1
}

func findEvent(evs []Event, k EventKind, pred func(Event) bool) (Event, bool) {
	for _, ev := range evs {
		if ev.Kind == k && (pred == nil || pred(ev)) {
			return ev, true
		}
	}
	return Event{}, false
}
