package player

import (
	"context"
	"runtime"
	"testing"
	"time"

	"attune/player/timeline"
)

// runLive starts Run on a goroutine and returns a stop function that cancels
// it and waits for it, failing the test if it takes longer than limit.
func runLive(t *testing.T, e *Engine, limit time.Duration) (stop func() time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- e.Run(ctx) }()
	return func() time.Duration {
		t0 := time.Now()
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(limit):
			t.Fatalf("Run did not return within %s of cancel", limit)
		}
		return time.Since(t0)
	}
}

func collect(ch chan Event) []Event {
	var evs []Event
	for {
		select {
		case ev := <-ch:
			evs = append(evs, ev)
		default:
			return evs
		}
	}
}

func TestEngine_Run_FailingSinkDoesNotStopTheOthers(t *testing.T) {
	o := fakeOpener{"a": {sig: sine(200, 0.5), length: at(60)}}
	cfg := testConfig(o)
	cfg.PauseFade = 100 * time.Millisecond
	good, bad, flaky := &capSink{}, &capSink{failAt: 5}, &capSink{failAt: 3}
	reopened := &capSink{}
	cfg.Sinks = []SinkConfig{
		{Name: "good", Sink: good},
		{Name: "bad", Sink: bad},
		{Name: "flaky", Sink: flaky, Reopen: func(context.Context) (Sink, error) { return reopened, nil }},
	}
	ch := make(chan Event, 1024)
	cfg.Events = ch
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop := runLive(t, e, 3*time.Second)
	ctx := t.Context()
	if err := e.Load(ctx, oneTrack(sec(60)), 0); err != nil {
		t.Fatal(err)
	}
	if err := e.Play(ctx); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	time.Sleep(1200 * time.Millisecond)
	if got := e.State(); got != StatePlaying {
		t.Errorf("State() = %v, want playing", got)
	}
	if err := e.SetTrim(ctx, "good", -6); err != nil {
		t.Errorf("SetTrim: %v", err)
	}
	stop()
	elapsed := time.Since(t0)

	// The monotonic clock paces unpaced sinks: about real time.
	got := float64(len(good.samples())) / testRate
	if got < 0.8*elapsed.Seconds() || got > 1.2*elapsed.Seconds()+0.2 {
		t.Errorf("good sink got %.2f s of audio in %.2f s of running, want about real time", got, elapsed.Seconds())
	}
	if n := len(bad.samples()); n != 4*80 {
		t.Errorf("bad sink got %d samples, want the 4 blocks before it failed", n)
	}
	if len(reopened.samples()) == 0 {
		t.Errorf("flaky sink was not reopened")
	}
	if bad.closed == 0 {
		t.Errorf("failed sink not closed")
	}
	evs := collect(ch)
	for _, name := range []string{"bad", "flaky"} {
		if _, ok := findEvent(evs, EventSinkError, func(ev Event) bool { return ev.Sink == name && ev.Err != nil }); !ok {
			t.Errorf("no sink error event for %q", name)
		}
	}
	if _, ok := findEvent(evs, EventSinkRecovered, func(ev Event) bool { return ev.Sink == "flaky" }); !ok {
		t.Errorf("no sink recovered event for flaky")
	}
	if _, ok := findEvent(evs, EventPosition, nil); !ok {
		t.Errorf("no position event in %v", evs)
	}
}

func TestEngine_Run_ExitsOnCancelWithAFadeAndNoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	o := fakeOpener{"a": {sig: sine(200, 0.5), length: at(60)}}
	cfg := testConfig(o)
	cfg.PauseFade = 300 * time.Millisecond
	card := &capSink{paced: true, delay: 10 * time.Millisecond} // one 10 ms block per 10 ms
	cfg.Sinks = []SinkConfig{{Name: "card", Sink: card}, {Name: "file", Sink: &capSink{}}}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop := runLive(t, e, 2*time.Second)
	ctx := t.Context()
	if err := e.Load(ctx, oneTrack(sec(60)), 0); err != nil {
		t.Fatal(err)
	}
	if err := e.Play(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	took := stop()
	if took < 250*time.Millisecond {
		t.Errorf("Run returned %s after cancel, want after the 300 ms fade-out", took)
	}
	out := card.samples()
	n := len(out)
	if n == 0 || card.closed != 1 {
		t.Fatalf("card got %d samples and was closed %d times", n, card.closed)
	}
	if out[n-1] != [2]float64{} {
		t.Errorf("last sample %v, want silence after the fade", out[n-1])
	}
	if s, _ := maxStep(out); s > 0.0783 {
		t.Errorf("largest step %v, want at most the sine's 0.0783", s)
	}
	if err := e.Play(ctx); err == nil {
		t.Errorf("Play after Run returned: no error")
	}
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := runtime.NumGoroutine(); got > before {
		t.Errorf("%d goroutines after Run, want %d", got, before)
	}
}

// hangOpener opens "hang", whose decoder plays half a second and then
// blocks forever (a read on a hung network share), and anything of o.
type hangOpener struct {
	o       fakeOpener
	release chan struct{}
}

func (h hangOpener) Open(ctx context.Context, it timeline.Item, rate int) (timeline.Source, error) {
	if it.Track == "hang" {
		return &hangSource{release: h.release}, nil
	}
	return h.o.Open(ctx, it, rate)
}

type hangSource struct {
	pos     int
	release chan struct{}
}

func (s *hangSource) Stream(buf [][2]float64) (int, bool) {
	if s.pos >= at(0.5) {
		<-s.release
		return 0, false
	}
	n := min(len(buf), at(0.5)-s.pos)
	for i := range buf[:n] {
		buf[i] = [2]float64{0.25, 0.25}
	}
	s.pos += n
	return n, true
}
func (s *hangSource) Err() error     { return nil }
func (s *hangSource) Seek(int) error { return nil }
func (s *hangSource) Close() error   { return nil }

// A decoder that hangs stalls only its own timeline: a skip still brings
// the next item, and the engine still shuts down (abandoning the stuck
// decoder after stuckWait).
func TestEngine_Run_HungDecoderDoesNotStallTheRoom(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	o := hangOpener{o: fakeOpener{"a": {sig: sine(200, 0.5), length: at(60)}}, release: release}
	cfg := Config{Rate: testRate, Block: 80, Opener: o, PauseFade: 100 * time.Millisecond, SkipFade: 200 * time.Millisecond}
	sink := &capSink{}
	cfg.Sinks = []SinkConfig{{Name: "main", Sink: sink}}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop := runLive(t, e, 5*time.Second)
	ctx := t.Context()
	tl := timeline.Timeline{Items: []timeline.Item{{Track: "hang", End: sec(10)}, {Track: "a", Start: sec(10), End: sec(40)}}}
	if err := e.Load(ctx, tl, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.Play(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // the hang source has hung
	if err := e.Skip(ctx); err != nil {
		t.Fatalf("Skip: %v", err)
	}
	time.Sleep(1500 * time.Millisecond)
	if d := stop(); d > stuckWait+time.Second {
		t.Errorf("shutdown took %s, want at most the stuck wait %s and the fade", d, stuckWait)
	}
	out := sink.samples()
	// The 200 Hz sine of "a" sounds at the end, at its full level.
	if p := peaks(out[len(out)-at(1.2):len(out)-at(0.7)], at(0.5)); p[0] < 0.45 {
		t.Errorf("after the skip: peak %.3f, want track a at 0.5", p[0])
	}
}
